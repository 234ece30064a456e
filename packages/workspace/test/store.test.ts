/** The workspace's schema: an unversioned workspace.db is brought to the current version; PostgreSQL's is migrated once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { postgresMissing, startPostgres } from '@wr/server/test-postgres';
import { PG_MIGRATIONS, PostgresWorkspaceStore } from '../src/postgres-store.js';
import { openWorkspaceDb, SqliteWorkspaceStore } from '../src/store.js';

/** workspace.db as the code before versions (6ec3831) made it: user_version 0. */
const UNVERSIONED = `
CREATE TABLE sealed_secrets (name TEXT PRIMARY KEY, public TEXT NOT NULL, sealed BLOB NOT NULL) STRICT;
CREATE TABLE api_keys (
  api_key_id TEXT PRIMARY KEY, name TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT
) STRICT;
CREATE TABLE shares (key_id TEXT PRIMARY KEY, node_id TEXT NOT NULL, group_public_key TEXT NOT NULL, identifier TEXT NOT NULL, created_at TEXT NOT NULL) STRICT;
CREATE TABLE idempotency (
  api_key_id TEXT NOT NULL, idempotency_key TEXT NOT NULL, component TEXT NOT NULL, request_hash TEXT NOT NULL, owner TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'done')), status INTEGER, sealed_response BLOB, session_id TEXT, created_at TEXT NOT NULL,
  PRIMARY KEY (api_key_id, idempotency_key)
) STRICT;
CREATE TABLE pending_dkg_aborts (session_id TEXT NOT NULL, node_id TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (session_id, node_id)) STRICT;
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, details TEXT NOT NULL,
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`;

test('an unversioned workspace.db is migrated: bearer key hashes dropped, the old audit chain kept aside, every table there', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wr-workspace-store-'));
  try {
    const file = join(dir, 'workspace.db');
    const old = new Database(file);
    old.exec(UNVERSIONED);
    old.prepare("INSERT INTO api_keys VALUES ('k1', 'ci', 'hash', '[]', '2026-11-23T00:00:00Z', NULL)").run();
    old.prepare("INSERT INTO shares VALUES ('key_1', 'node-1', 'aa', '01', '2026-11-23T00:00:00Z')").run();
    old.prepare("INSERT INTO audit_log (at, actor, action, details, prev_hash, hash) VALUES ('2026-11-23', 'k1', 'key.create', '{}', '0', '1')").run();
    old.close();

    const db = openWorkspaceDb(file);
    try {
      assert.equal(db.pragma('user_version', { simple: true }), 5);
      const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
      assert.ok(!tables.has('api_keys'), 'bearer key hashes are dropped');
      const expected = ['audit_log_v1', 'audit_log', 'audit_head', 'api_key_registry', 'network_policy', 'registry_changes', 'approval_requests', 'approvals'];
      for (const t of [...expected, 'dkg_results', 'refresh_results', 'workflow_runs']) {
        assert.ok(tables.has(t), `${t} exists`);
      }
      assert.deepEqual(db.prepare('SELECT action FROM audit_log_v1').all(), [{ action: 'key.create' }], 'the old chain is kept aside');
      assert.equal((db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n, 0, 'the keyed chain starts again');
      const append = "INSERT INTO audit_log (at, actor, action, details, prev_hash, hash) VALUES ('t', 'a', 'b', '{}', '0', '1')";
      assert.throws(() => db.exec(`${append}; DELETE FROM audit_log`), /append-only/, 'the new audit log is append-only');
      assert.deepEqual(db.prepare('SELECT key_id, node_id FROM shares').all(), [{ key_id: 'key_1', node_id: 'node-1' }], 'rows of kept tables stay');
    } finally {
      db.close();
    }
    // Opening again changes nothing.
    const again = openWorkspaceDb(file);
    assert.equal(again.pragma('user_version', { simple: true }), 5);
    assert.equal((again.prepare('SELECT count(*) AS n FROM audit_log_v1').get() as { n: number }).n, 1);
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'PostgreSQL: replicas migrating at once make the schema once; a database newer than the code is refused',
  { skip: postgresMissing() ?? false },
  async () => {
    const server = await startPostgres();
    try {
      const url = await server.createDatabase('migrations');
      const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresWorkspaceStore.open(url)));
      await Promise.all(stores.map((s) => s.close()));
      const rows = await server.query<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(
        rows.map((r) => r.version),
        PG_MIGRATIONS.map((m) => m.version),
      );
      const tables = await server.query<{ table_name: string }>(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
      for (const t of ['idempotency', 'audit_log', 'audit_head', 'registry_changes', 'shares', 'approval_requests', 'refresh_results', 'workflow_runs']) {
        assert.ok(
          tables.some((r) => r.table_name === t),
          `${t} exists`,
        );
      }
      await server.query(url, "INSERT INTO schema_migrations (version, description) VALUES (99, 'from the future')");
      await assert.rejects(PostgresWorkspaceStore.open(url), /schema version 99, newer than this version of wr knows/);
    } finally {
      await server.stop();
    }
  },
);

test('workspace.db group commit: transactions of one turn share one commit, each answered only once it is on disk', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wr-workspace-group-'));
  const file = join(dir, 'workspace.db');
  const store = SqliteWorkspaceStore.open(file);
  const other = new Database(file, { readonly: true });
  try {
    const committed = () => (other.prepare('SELECT node_id FROM pending_dkg_aborts ORDER BY node_id').all() as { node_id: string }[]).map((r) => r.node_id);
    const insert = (node: string) => store.run("INSERT INTO pending_dkg_aborts (session_id, node_id, created_at) VALUES ('s', ?, 't')", node);
    let seenBySecond: string[] | undefined;
    const first = insert('n1');
    const second = store.transaction('t', async (tx) => {
      await tx.run("INSERT INTO pending_dkg_aborts (session_id, node_id, created_at) VALUES ('s', 'n2', 't')");
      seenBySecond = committed();
    });
    const failing = store.transaction('t', async (tx) => {
      await tx.run("INSERT INTO pending_dkg_aborts (session_id, node_id, created_at) VALUES ('s', 'n3', 't')");
      throw new Error('undone alone');
    });
    const duplicate = insert('n1');
    // A read is answered only once what it saw is committed: it never hands out a write that is not yet on disk.
    const read = store
      .all<{ node_id: string }>('SELECT node_id FROM pending_dkg_aborts ORDER BY node_id')
      .then((rows) => ({ rows: rows.map((x) => x.node_id), onDisk: committed() }));
    const settled = await Promise.allSettled([first, second, failing, duplicate]);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'fulfilled', 'rejected', 'rejected'],
    );
    assert.deepEqual(seenBySecond, [], 'the second ran before the first was committed: one commit for both');
    assert.deepEqual(committed(), ['n1', 'n2'], 'both on disk once answered; the failed ones undone alone');
    const r = await read;
    assert.ok(r.rows.length > 0, 'the read ran while the group was open');
    for (const row of r.rows) assert.ok(r.onDisk.includes(row), `${row}, read, was on disk when the read was answered`);
    assert.equal(await insert('n4'), 1, 'the next turn commits a group of its own');
    assert.deepEqual(committed(), ['n1', 'n2', 'n4']);

    // A staged write answers once written, before its commit; the next write joins that commit.
    const staged = await store.stage('t', (tx) => tx.run("INSERT INTO pending_dkg_aborts (session_id, node_id, created_at) VALUES ('s', 'n5', 't')"));
    assert.deepEqual(committed(), ['n1', 'n2', 'n4'], 'staged: written, not yet committed');
    await insert('n6');
    await staged.committed;
    assert.deepEqual(committed(), ['n1', 'n2', 'n4', 'n5', 'n6']);
  } finally {
    other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
