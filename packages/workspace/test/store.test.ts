/**
 * The workspace's stores: an unversioned workspace.db is brought to the current version; PostgreSQL's is migrated
 * once; and the statements and transactions behave alike on both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WrError } from '@wr/common';
import { startPostgres } from '@wr/server/test-postgres';
import { PG_MIGRATIONS, PostgresWorkspaceStore } from '../src/postgres-store.js';
import { openWorkspaceDb, SqliteWorkspaceStore } from '../src/store.js';
import { eachStore, openTestStore, testDatabase, type StoreKind } from './support.js';

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

function suite(kind: StoreKind): void {
  test('the statements: integers come back as numbers, BLOBs as Buffers, NULL as null; run() counts the rows it changed', async () => {
    const { store, close } = await openTestStore(kind);
    try {
      // Beyond 2^32, as a lease in milliseconds is: BIGINT on PostgreSQL, which pg would hand over as a string.
      const lease = 2 ** 41 + 7;
      const sealed = Buffer.from([0, 1, 2, 0xfe, 0xff]);
      const insert = (key: string) =>
        store.run(
          'INSERT INTO idempotency (api_key_id, idempotency_key, component, request_hash, owner, state, status, sealed_response, session_id,' +
            ' created_at, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (api_key_id, idempotency_key) DO NOTHING',
          'ak_types',
          key,
          'SIGN',
          'h',
          'proc_1',
          'done',
          200,
          sealed,
          null,
          '2026-12-02T00:00:00.000Z',
          lease,
        );
      assert.equal(await insert('k1'), 1);
      assert.equal(await insert('k1'), 0, 'a conflict that does nothing changes no row');
      const row = await store.get<{ status: number; sealed_response: Buffer; session_id: null; lease_until: number; created_at: string }>(
        'SELECT status, sealed_response, session_id, lease_until, created_at FROM idempotency WHERE api_key_id = ? AND idempotency_key = ?',
        'ak_types',
        'k1',
      );
      assert.deepEqual(row, { status: 200, sealed_response: sealed, session_id: null, lease_until: lease, created_at: '2026-12-02T00:00:00.000Z' });
      assert.ok(Buffer.isBuffer(row!.sealed_response));
      assert.deepEqual(await store.get('SELECT count(*) AS n, max(lease_until) AS m FROM idempotency'), { n: 1, m: lease });
      assert.equal(await store.get('SELECT status FROM idempotency WHERE idempotency_key = ?', 'none'), undefined);
      assert.deepEqual(await store.all('SELECT status FROM idempotency WHERE idempotency_key = ?', 'none'), []);
      assert.equal(await store.run("UPDATE idempotency SET state = 'done' WHERE api_key_id = ?", 'ak_types'), 1);
      assert.equal(await store.run('DELETE FROM idempotency WHERE api_key_id = ?', 'nobody'), 0);
      // RETURNING, and an autoincremented key: numbers, in insertion order.
      const seqs = [];
      for (const change of ['{"a":1}', '{"a":2}'])
        seqs.push((await store.get<{ seq: number }>('INSERT INTO registry_changes (change) VALUES (?) RETURNING seq', change))!.seq);
      assert.equal(typeof seqs[0], 'number');
      assert.ok(seqs[1]! > seqs[0]!);
      assert.deepEqual(await store.all('SELECT seq FROM registry_changes WHERE seq > ? ORDER BY seq DESC LIMIT ?', 0, Number.MAX_SAFE_INTEGER), [
        { seq: seqs[1] },
        { seq: seqs[0] },
      ]);
    } finally {
      await close();
    }
  });

  test('a transaction commits or rolls back whole; those on one lock run one at a time; a failed one leaves the store usable', async () => {
    const { store, close } = await openTestStore(kind);
    try {
      const mark = async () => (await store.get<{ seq: number }>('SELECT seq FROM registry_synced WHERE node_id = ?', 'counter'))?.seq;
      await store.run('INSERT INTO registry_synced (node_id, seq) VALUES (?, 0)', 'counter');
      // Read, wait, write: without the lock, two at once would both read the same value and one increment would be lost.
      await Promise.all(
        Array.from({ length: 20 }, () =>
          store.transaction('counter', async (tx) => {
            const { seq } = (await tx.get<{ seq: number }>('SELECT seq FROM registry_synced WHERE node_id = ?', 'counter'))!;
            await new Promise((r) => setTimeout(r, 2));
            await tx.run('UPDATE registry_synced SET seq = ? WHERE node_id = ?', seq + 1, 'counter');
          }),
        ),
      );
      assert.equal(await mark(), 20);
      await assert.rejects(
        store.transaction('counter', async (tx) => {
          await tx.run('UPDATE registry_synced SET seq = 99 WHERE node_id = ?', 'counter');
          throw new Error('changed my mind');
        }),
        /changed my mind/,
      );
      assert.equal(await mark(), 20, 'rolled back');
      // More failed transactions than the pool has connections (10): each gives its connection back.
      for (let i = 0; i < 12; i++) {
        await assert.rejects(store.transaction('counter', (tx) => tx.run('INSERT INTO no_such_table VALUES (1)')));
      }
      assert.equal(await store.transaction('counter', (tx) => tx.run('UPDATE registry_synced SET seq = 21 WHERE node_id = ?', 'counter')), 1);
      assert.equal(await mark(), 21);
    } finally {
      await close();
    }
  });

  if (kind === 'postgres') {
    test('PostgreSQL: a connection lost mid-transaction fails that transaction, not the process; the store goes on', async () => {
      const { url, server } = await testDatabase();
      const store = await PostgresWorkspaceStore.open(url);
      try {
        // Between two statements, as when the server restarts or an administrator ends the session: pg reports it as an
        // 'error' event of the connection, which with no listener would be an uncaught exception (the test fails on one).
        const lost = store.transaction('lost', async (tx) => {
          const { pid } = (await tx.get<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!;
          await server.query(url, 'SELECT pg_terminate_backend($1)', [pid]);
          await new Promise((r) => setTimeout(r, 200));
          return tx.get('SELECT 1 AS one');
        });
        await assert.rejects(lost, { code: 'WORKSPACE_UNAVAILABLE', retryable: true });
        for (let i = 0; i < 12; i++) assert.deepEqual(await store.transaction('after', (tx) => tx.get('SELECT 2 AS two')), { two: 2 });
      } finally {
        await store.close();
      }
    });

    test('PostgreSQL: a database out of reach is WORKSPACE_UNAVAILABLE, retryable, not naming it; a statement refused stays itself', async () => {
      // A server of its own, as this one is stopped.
      const server = await startPostgres();
      let store: PostgresWorkspaceStore | undefined;
      try {
        store = await PostgresWorkspaceStore.open(await server.createDatabase('unreachable'));
        await assert.rejects(store.get('SELECT * FROM no_such_table'), (err: Error) => !(err instanceof WrError) && /no_such_table/.test(err.message));
        await server.stop();
        const unavailable = (err: WrError) => {
          assert.deepEqual([err.code, err.status, err.retryable], ['WORKSPACE_UNAVAILABLE', 503, true]);
          assert.doesNotMatch(err.message, /127\.0\.0\.1|postgres:/);
          return true;
        };
        await assert.rejects(store.get('SELECT 1 AS one'), unavailable);
        await assert.rejects(store.run('DELETE FROM shares'), unavailable);
        await assert.rejects(
          store.transaction('x', (tx) => tx.get('SELECT 1 AS one')),
          unavailable,
        );
      } finally {
        await store?.close();
        await server.stop();
      }
    });

    test('PostgreSQL: replicas migrating at once make the schema once; a database newer than the code is refused', async () => {
      const { url, server } = await testDatabase();
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
    });
  }
}

eachStore(suite);

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
