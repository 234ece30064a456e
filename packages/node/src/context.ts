import type { Admission, AuditLog, GroupCommit, HttpServer } from '@wr/server';
import type { Authorizer } from './authorize.js';
import type { NodeRoster } from './roster.js';
import type { NodeConfig } from './config.js';
import type { Keyring } from './keyring.js';
import type { DkgSession, SessionStore, SignSession } from './sessions.js';
import type { ShareStore } from './store.js';
import type { ImportPool } from './workers/import-pool.js';

/** What every route of a node reaches. */
export interface NodeContext {
  config: NodeConfig;
  store: ShareStore;
  keyring: Keyring;
  http: HttpServer;
  dkgSessions: SessionStore<DkgSession>;
  nonces: SessionStore<SignSession>;
  authorizer: Authorizer;
  roster: NodeRoster;
  /** The bound on heavy protocol steps (heavyStep). */
  steps: Admission;
  /** What this node did, and for whom: its own log, keyed and signed like the workspace's. */
  log: AuditLog;
  /** Writes of concurrent requests made durable by one commit (the signing hot path's use and log entry). */
  commits: GroupCommit;
  /** Where imports are opened and checked: worker threads, or this thread (NodeConfig.importWorkers). */
  imports: ImportPool;
}
