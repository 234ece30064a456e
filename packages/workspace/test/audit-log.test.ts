/**
 * The audit logs, through app.inject(): what the workspace records of each
 * call and who made it, each node's own log reached through the workspace,
 * who may read them, and a changed entry found by VERIFY_AUDIT_LOG.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ComponentResult } from '@wr/api';
import { generateSigningKey } from '@wr/crypto';
import { WorkspaceAuditLog } from '../src/audit.js';
import { PostgresWorkspaceStore } from '../src/postgres-store.js';
import { SqliteWorkspaceStore } from '../src/store.js';
import { eachStore, newApiKey, startTestWorkspace, type StoreKind, type TestWorkspace } from './support.js';

function suite(kind: StoreKind): void {
  let ws: TestWorkspace;
  before(async () => {
    ws = await startTestWorkspace({ store: kind });
  });
  after(() => ws?.close());

  type Events = ComponentResult<'LIST_AUDIT_EVENTS'>['events'];
  const events = async (params: object = {}) => (await ws.call('LIST_AUDIT_EVENTS', params)).json['events'] as Events;

  test('each change is recorded with its caller, in order; reading from a sequence number gives what came after', async () => {
    const key = newApiKey();
    const created = await ws.call('CREATE_API_KEY', { name: 'auditor', scopes: ['nodes:read'], publicKey: key.publicKey });
    await ws.call('REVOKE_API_KEY', { apiKeyId: created.json['apiKeyId'] });
    const all = await events();
    assert.deepEqual(
      all.map((e) => e.seq),
      all.map((_, i) => i + 1),
    );
    const mine = all.filter((e) => e.details['apiKeyId'] === created.json['apiKeyId']);
    assert.deepEqual(
      mine.map((e) => [e.action, e.actor]),
      [
        ['apikey.create', ws.admin.apiKeyId],
        ['apikey.revoke', ws.admin.apiKeyId],
      ],
    );
    assert.deepEqual(
      await events({ after: mine[0]!.seq }),
      all.filter((e) => e.seq > mine[0]!.seq),
    );
    assert.deepEqual((await ws.call('VERIFY_AUDIT_LOG', {})).json, { ok: true, entries: all.length, headHash: all[all.length - 1]!.hash });
  });

  test('reading from past the last entry gives none, however far past: the same on both stores', async () => {
    // 2^63 and beyond: past PostgreSQL's BIGINT, which the seq column is there.
    for (const after of [2 ** 53, 2 ** 63, 1e20, 1e21]) {
      const r = await ws.call('LIST_AUDIT_EVENTS', { after });
      assert.equal(r.status, 200, `after ${after}: ${JSON.stringify(r.json)}`);
      assert.deepEqual(r.json['events'], []);
    }
  });

  test("a node's own log comes through the workspace: the change as the node applied it", async () => {
    const key = newApiKey();
    const created = await ws.call('CREATE_API_KEY', { name: 'seen by nodes', scopes: ['keys:read'], publicKey: key.publicKey });
    const onNode = await events({ nodeId: 'node-2' });
    assert.ok(onNode.some((e) => e.action === 'registry.create_api_key' && e.details['apiKeyId'] === created.json['apiKeyId']));
    const verified = await ws.call('VERIFY_AUDIT_LOG', { nodeId: 'node-2' });
    assert.equal(verified.json['ok'], true);
    assert.equal(verified.json['entries'], onNode.length);
    assert.equal((await ws.call('LIST_AUDIT_EVENTS', { nodeId: 'node-9' })).json.error?.code, 'NOT_FOUND');
  });

  test('only an admin key reads the logs', async () => {
    const reader = newApiKey();
    await ws.call('CREATE_API_KEY', { name: 'reader', scopes: ['keys:read'], publicKey: reader.publicKey });
    assert.equal((await ws.call('LIST_AUDIT_EVENTS', {}, { key: reader })).json.error?.code, 'PERMISSION_DENIED');
    assert.equal((await ws.call('VERIFY_AUDIT_LOG', {}, { key: reader })).json.error?.code, 'PERMISSION_DENIED');
  });

  test('the log refuses UPDATE and DELETE in the database itself', async () => {
    await assert.rejects(ws.ctx.store.run("UPDATE audit_log SET actor = 'x' WHERE seq = 1"), /append-only/);
    await assert.rejects(ws.ctx.store.run('DELETE FROM audit_log'), /append-only/);
  });

  test('appends from two writers at once (two replicas on PostgreSQL) make one chain, no fork', async () => {
    const masterKey = ws.config.masterKey;
    const signingKey = generateSigningKey().secretKey;
    // On PostgreSQL a second store is a second pool of connections, as another replica's; SQLite serves one process through one connection.
    const other = kind === 'postgres' ? await PostgresWorkspaceStore.open(ws.config.databaseUrl!) : ws.ctx.store;
    try {
      const logs = [new WorkspaceAuditLog(ws.ctx.store, masterKey, signingKey), new WorkspaceAuditLog(other, masterKey, signingKey)];
      const before = (await logs[0]!.verify()).entries;
      await Promise.all(Array.from({ length: 60 }, (_, i) => logs[i % 2]!.append('tester', 'test.concurrent', { i })));
      const verdict = await logs[1]!.verify();
      assert.equal(verdict.ok, true, JSON.stringify(verdict));
      assert.equal(verdict.entries, before + 60);
      const seqs = (await logs[0]!.list(before, 100)).map((e) => e.seq);
      assert.deepEqual(
        seqs,
        Array.from({ length: 60 }, (_, i) => before + i + 1),
      );
    } finally {
      if (other !== ws.ctx.store) await other.close();
    }
  });

  test('an entry changed in the database shows in VERIFY_AUDIT_LOG', async () => {
    // As someone with the database file could: the append-only trigger goes first.
    if (kind === 'sqlite') {
      (ws.ctx.store as SqliteWorkspaceStore).db.exec("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'someone else' WHERE seq = 1");
    } else {
      await ws.ctx.store.run('DROP TRIGGER audit_log_no_change ON audit_log');
      await ws.ctx.store.run("UPDATE audit_log SET actor = 'someone else' WHERE seq = 1");
    }
    const r = (await ws.call('VERIFY_AUDIT_LOG', {})).json;
    assert.deepEqual([r['ok'], r['firstBadSeq']], [false, 1]);
  });
}

eachStore(suite);
