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
  /** The credential the workspace presents; anyone else gets 401. */
  authToken: Secret<string>;
  log?: Writable | false;
  logLevel?: string;
}
