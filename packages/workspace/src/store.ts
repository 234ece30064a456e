import { SEALED_SECRETS_SCHEMA, openDatabase, type Db } from '@wr/server';

/**
 * The workspace's SQLite file: API keys (hashed), where each key share lives,
 * idempotency records (results sealed) and the append-only audit log. No row
 * holds a share, an identity or an API key in plaintext.
 */
const SCHEMA = SEALED_SECRETS_SCHEMA + `
CREATE TABLE IF NOT EXISTS api_keys (
  api_key_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
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
CREATE TABLE IF NOT EXISTS pending_dkg_aborts (
  session_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (session_id, node_id)
) STRICT;
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`;

export function openWorkspaceDb(file: string): Db {
  return openDatabase(file, SCHEMA);
}
