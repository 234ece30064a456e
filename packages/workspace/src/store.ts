import { AUDIT_SCHEMA, REGISTRY_SCHEMA, SEALED_SECRETS_SCHEMA, migrate, openDatabase, type Db, type Migration } from '@wr/server';
import { WORKFLOW_RUNS_SCHEMA } from './workflow-runs.js';

/**
 * The workspace's SQLite file: the API-key registry (public keys only) and the
 * signed changes that made it, which it relays to every node; where each key
 * share lives; idempotency records (results sealed) and the append-only audit
 * log. No row holds a share, an identity or a private API key.
 */
const WORKSPACE_TABLES = `
CREATE TABLE IF NOT EXISTS registry_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  change TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS registry_synced (
  node_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS shares (
  key_id TEXT PRIMARY KEY,
  node_id TEXT NOT NULL,
  group_public_key TEXT NOT NULL,
  identifier TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS idempotency (
  api_key_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  component TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  owner TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'done')),
  status INTEGER,
  sealed_response BLOB,
  session_id TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (api_key_id, idempotency_key)
) STRICT;
CREATE TABLE IF NOT EXISTS dkg_results (
  api_key_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  session_id TEXT NOT NULL UNIQUE,
  result TEXT NOT NULL,
  PRIMARY KEY (api_key_id, idempotency_key)
) STRICT;
CREATE TABLE IF NOT EXISTS approval_requests (
  approval_request_id TEXT PRIMARY KEY,
  requester TEXT NOT NULL,
  component TEXT NOT NULL,
  request TEXT NOT NULL,
  required INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'executed', 'failed')),
  outcome TEXT,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS approvals (
  approval_request_id TEXT NOT NULL REFERENCES approval_requests (approval_request_id),
  approver TEXT NOT NULL,
  approval TEXT NOT NULL,
  PRIMARY KEY (approval_request_id, approver)
) STRICT;
CREATE TABLE IF NOT EXISTS pending_dkg_aborts (
  session_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (session_id, node_id)
) STRICT;
`;

/**
 * workspace.db's versions (see @wr/server migrations.ts). Version 1 is every
 * table of the layout, made if missing: it adopts files from before
 * workspace.db carried a version, which hold some of them (and version 2 deals
 * with what they held that is no longer used). Its SQL is frozen; a later change
 * to a table is a step 3, 4... of its own.
 */
const MIGRATIONS: Migration[] = [
  { version: 1, description: 'the tables', up: (db) => db.exec(SEALED_SECRETS_SCHEMA + REGISTRY_SCHEMA + AUDIT_SCHEMA + WORKSPACE_TABLES) },
  {
    version: 2,
    description: 'hashed bearer keys dropped, the unkeyed audit chain kept aside',
    up: (db) => {
      // Version 1 stored hashes of bearer API keys, which no longer authenticate anything, and an
      // unkeyed audit chain, which proves nothing: it starts again, keyed (the old one is kept aside).
      db.exec('DROP TABLE IF EXISTS api_keys');
      const keptAside = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'audit_log_v1'").get() !== undefined;
      if (!keptAside && (db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n > 0) {
        db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; ALTER TABLE audit_log RENAME TO audit_log_v1;');
        db.exec(AUDIT_SCHEMA);
      }
    },
  },
  {
    version: 3,
    description: 'refreshes confirmed by every holder, for a retry to commit',
    up: (db) =>
      db.exec(`CREATE TABLE refresh_results (
  api_key_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  session_id TEXT NOT NULL UNIQUE,
  result TEXT NOT NULL,
  committed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (api_key_id, idempotency_key)
) STRICT;`),
  },
  { version: 4, description: 'workflow runs, recorded as their steps are relayed', up: (db) => db.exec(WORKFLOW_RUNS_SCHEMA) },
];

export function openWorkspaceDb(file: string): Db {
  const db = openDatabase(file);
  migrate(db, `workspace database ${file}`, MIGRATIONS);
  return db;
}
