import type { Db, HttpServer } from '@wr/server';
import type { Secret } from '@wr/common';
import type { ApiKeys, Caller } from './api-keys.js';
import type { AuditLog } from './audit.js';
import type { WorkspaceConfig } from './config.js';
import type { Network } from './network.js';

/** The workspace's own age identities: they seal identities it hands out. */
export interface WorkspaceIdentities {
  recipient: string;
  postQuantumRecipient: string;
  identities: Secret<string>[];
}

export interface WorkspaceContext {
  config: WorkspaceConfig;
  db: Db;
  http: HttpServer;
  network: Network;
  apiKeys: ApiKeys;
  audit: AuditLog;
  own: WorkspaceIdentities;
}

/** What a component handler gets for one call. */
export interface CallContext {
  caller: Caller;
  requestId: string;
  /** The idempotency record's session id, stable across retries of one call. */
  sessionId: string;
}
