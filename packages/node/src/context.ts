import type { SecretDkgState, SecretNonces } from '@wr/crypto';
import type { HttpServer } from '@wr/server';
import type { NodeConfig } from './config.js';
import type { Keyring } from './keyring.js';
import type { SessionStore } from './sessions.js';
import type { ShareStore } from './store.js';

/** What every route of a node reaches. */
export interface NodeContext {
  config: NodeConfig;
  store: ShareStore;
  keyring: Keyring;
  http: HttpServer;
  dkgSessions: SessionStore<SecretDkgState>;
  nonces: SessionStore<SecretNonces>;
}
