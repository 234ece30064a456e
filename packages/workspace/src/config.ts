import type { Writable } from 'node:stream';
import type { SignedRoster } from '@wr/api';
import type { Secret } from '@wr/common';

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
  /** Per-call timeout towards a node, in milliseconds. */
  nodeTimeoutMs?: number;
  log?: Writable | false;
  logLevel?: string;
  /** How long a stop (SIGTERM) lets the requests already received finish, in milliseconds (default 10 000). */
  drainTimeoutMs?: number;
}
