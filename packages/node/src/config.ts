import type { Writable } from 'node:stream';
import type { Secret } from '@wr/common';

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
  /** The credential the workspace presents; anyone else gets 401. It carries no authority over shares. */
  authToken: Secret<string>;
  log?: Writable | false;
  logLevel?: string;
  /** How long a stop (SIGTERM) lets the requests already received finish, in milliseconds (default 10 000). */
  drainTimeoutMs?: number;
}
