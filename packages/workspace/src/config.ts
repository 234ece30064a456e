import type { Writable } from 'node:stream';
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
  /** An API key with every scope, stored (hashed) on start if not there yet. */
  bootstrapApiKey?: Secret<string>;
  /** Per-call timeout towards a node, in milliseconds. */
  nodeTimeoutMs?: number;
  log?: Writable | false;
  logLevel?: string;
}
