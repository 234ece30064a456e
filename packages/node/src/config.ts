import type { Writable } from 'node:stream';
import type { Secret } from '@wr/common';
import type { AdmissionLimits, ServerTls } from '@wr/server';

/**
 * Heavy protocol steps (DKG and signing rounds, export, import, rewrap, identity generation: the age and FROST work):
 * 4 run at once (2 per core of the 2-core machine they were measured on, bench/overload.ts: the work is CPU, so more at
 * once only lengthens each), 64 more wait, each at most 5 s. A workspace sends a node at most 16 requests at once
 * (DEFAULT_NODE_REQUEST_LIMITS), so it alone never fills this; several workspaces, or callers of their own, may.
 */
export const DEFAULT_STEP_LIMITS: AdmissionLimits = { maxInFlight: 4, maxQueued: 64, maxQueueWaitMs: 5_000 };

export interface NodeConfig {
  nodeId: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The SQLite file. */
  databaseFile: string;
  masterKey: Secret<Uint8Array>;
  /** The root admin's public API key (hex), given when the node is set up: every registry change traces back to it. */
  adminPublicKey: string;
  /**
   * The credential the workspace presents; anyone else gets 401. It carries no authority over shares. Kept beside
   * mutual TLS as a second factor: a copied workspace TLS key alone, or a leaked token alone, gets nowhere.
   */
  authToken: Secret<string>;
  /** Mutual TLS: this node's certificate, and the workspace certificate fingerprints it accepts. Required beyond loopback. */
  tls?: ServerTls;
  /** The bound on heavy protocol steps running and waiting; beyond it, RESOURCE_EXHAUSTED (default DEFAULT_STEP_LIMITS). */
  stepLimits?: Partial<AdmissionLimits>;
  log?: Writable | false;
  logLevel?: string;
  /** How long a stop (SIGTERM) lets the requests already received finish, in milliseconds (default 10 000). */
  drainTimeoutMs?: number;
  /**
   * Worker threads that open and check imported shares (age unwrap, envelope and key checks), keeping the event loop
   * free; 0 does it on the node's own thread. Default: one per core but one (defaultImportWorkers).
   */
  importWorkers?: number;
}
