import type { Writable } from 'node:stream';
import type { SignedRoster } from '@wr/api';
import type { Secret } from '@wr/common';
import type { AdmissionLimits, TlsIdentity } from '@wr/server';

/**
 * SIGN and CREATE_KEY calls: 8 run at once, 64 more wait, each at most 5 s. Measured on the 2-core machine this runs on
 * (bench/overload.ts, and a sweep of 1 to 400 concurrent SIGNs with the bounds lifted): throughput stops growing at
 * 2 to 4 calls at once, and from there each call only waits longer; 8 leaves room for the disk waits (every call
 * commits to SQLite) to overlap. 64 waiting drain in about 2 s at the 30 signatures/s of an idle machine; the 5 s wait
 * still lets a burst of 20 to 40 CREATE_KEYs or SIGNs through on a loaded one, and caps what a caller waits beyond it.
 */
export const DEFAULT_CALL_LIMITS: AdmissionLimits = { maxInFlight: 8, maxQueued: 64, maxQueueWaitMs: 5_000 };
/**
 * Requests to one node: 16 in flight (twice the calls above, each of which sends one request per node and round), 256
 * waiting (exports and imports, which the call bound does not hold), each at most 5 s.
 */
export const DEFAULT_NODE_REQUEST_LIMITS: AdmissionLimits = { maxInFlight: 16, maxQueued: 256, maxQueueWaitMs: 5_000 };

export interface NodeEndpoint {
  nodeId: string;
  url: string;
  /** The credential this node accepts from the workspace: a second factor beside mutual TLS. */
  token: Secret<string>;
  /** The SHA-256 fingerprint of the node's TLS certificate; taken from the signed roster when not given. */
  certFingerprint?: string;
}

export interface WorkspaceConfig {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** workspace.db: the state, unless `databaseUrl` names a PostgreSQL database. */
  databaseFile: string;
  /** postgres://...: the state in PostgreSQL, which replicas of this workspace share. */
  databaseUrl?: string;
  /** How long an idempotency record stays a running call's without renewal (default 10 000 ms): a replica that died is taken over after it. */
  idempotencyLeaseMs?: number;
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
  /** Per-call timeout towards a node, in milliseconds (default 30 000). */
  nodeTimeoutMs?: number;
  /** How long opening a connection to a node may take, in milliseconds (default 5 000). */
  nodeConnectTimeoutMs?: number;
  /** The workspace's TLS client identity, presented to nodes reached over https (mutual TLS). */
  tls?: TlsIdentity;
  log?: Writable | false;
  logLevel?: string;
  /** How long a stop (SIGTERM) lets the requests already received finish, in milliseconds (default 10 000). */
  drainTimeoutMs?: number;
}
