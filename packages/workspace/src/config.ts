import type { Writable } from 'node:stream';
import type { SignedRoster } from '@wr/api';
import type { Secret } from '@wr/common';
import type { AdmissionLimits } from '@wr/server';

/**
 * SIGN and CREATE_KEY calls: 8 run at once (4 per core of the 2-core machine they were measured on, bench/overload.ts;
 * more only lengthens each call), 64 more wait, each at most 2 s.
 */
export const DEFAULT_CALL_LIMITS: AdmissionLimits = { maxInFlight: 8, maxQueued: 64, maxQueueWaitMs: 2_000 };
/** Requests to one node: 16 in flight, 256 waiting, each at most 2 s. */
export const DEFAULT_NODE_REQUEST_LIMITS: AdmissionLimits = { maxInFlight: 16, maxQueued: 256, maxQueueWaitMs: 2_000 };

export interface NodeEndpoint {
  nodeId: string;
  url: string;
  /** The credential this node accepts from the workspace. */
  token: Secret<string>;
}

export interface WorkspaceConfig {
  host: string;
  /** 0 picks a free port. */
  port: number;
  databaseFile: string;
  masterKey: Secret<Uint8Array>;
  nodes: NodeEndpoint[];
  /** Where GET_NODE_RECIPIENT_KEY and IMPORT_KEY_SHARE go without a nodeId. */
  defaultTargetNode: string;
  /** The root admin's public API key (hex): every registry change traces back to it. */
  adminPublicKey: string;
  /** The network's roster, signed by the root admin key: node keys are pinned from it. */
  roster: SignedRoster;
  /** The credential a metrics scraper presents at /metrics; without it, /metrics is refused to everyone. */
  metricsToken?: Secret<string>;
  /** The bound on SIGN and CREATE_KEY calls running and waiting; beyond it, RESOURCE_EXHAUSTED (default DEFAULT_CALL_LIMITS). */
  callLimits?: Partial<AdmissionLimits>;
  /** The bound on requests to each node, in flight and waiting (default DEFAULT_NODE_REQUEST_LIMITS). */
  nodeRequestLimits?: Partial<AdmissionLimits>;
  /** Per-call timeout towards a node, in milliseconds. */
  nodeTimeoutMs?: number;
  log?: Writable | false;
  logLevel?: string;
}
