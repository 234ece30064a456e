/**
 * Idempotency, through app.inject(): a retry with the same key gets the first
 * outcome back (marked as a replay) without the work being done again.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { IDEMPOTENT_REPLAYED_HEADER } from '@wr/api';
import { Secret, WrError } from '@wr/common';
import { Idempotency } from '../src/idempotency.js';
import { eachStore, newApiKey, startTestWorkspace, type StoreKind, type TestWorkspace } from './support.js';

function suite(kind: StoreKind): void {
  let ws: TestWorkspace;
  before(async () => {
    ws = await startTestWorkspace({ store: kind });
  });
  after(() => ws?.close());

  test('the first execution is not marked replayed; the same key and body replay its result, marked', async () => {
    const first = await ws.call('GENERATE_AGE_ENCRYPTION', {}, { idempotencyKey: 'age-1' });
    assert.equal(first.status, 200);
    assert.equal(first.headers[IDEMPOTENT_REPLAYED_HEADER], undefined, 'a first execution is no replay');
    const again = await ws.call('GENERATE_AGE_ENCRYPTION', {}, { idempotencyKey: 'age-1' });
    assert.equal(again.status, 200);
    assert.equal(again.headers[IDEMPOTENT_REPLAYED_HEADER], 'true');
    assert.deepEqual(again.json, first.json, 'the stored identity, not a new one');
    assert.notEqual(again.headers['x-request-id'], first.headers['x-request-id']);

    // Without a key, or with another, the work is done again.
    const fresh = await ws.call('GENERATE_AGE_ENCRYPTION', {}, { idempotencyKey: 'age-2' });
    assert.notEqual(fresh.json['publicKey'], first.json['publicKey']);
    assert.equal(fresh.headers[IDEMPOTENT_REPLAYED_HEADER], undefined);
    const keyless = await ws.call('GENERATE_AGE_ENCRYPTION', {}, { idempotencyKey: '' });
    assert.equal(keyless.headers[IDEMPOTENT_REPLAYED_HEADER], undefined);
  });

  test('a replayed registry change is applied and audited once', async () => {
    const body = { name: 'reader', scopes: ['keys:read'], publicKey: newApiKey().publicKey };
    const first = await ws.call('CREATE_API_KEY', body, { idempotencyKey: 'apikey-1' });
    const again = await ws.call('CREATE_API_KEY', body, { idempotencyKey: 'apikey-1' });
    assert.equal(first.headers[IDEMPOTENT_REPLAYED_HEADER], undefined);
    assert.equal(again.headers[IDEMPOTENT_REPLAYED_HEADER], 'true');
    assert.deepEqual(again.json, first.json);
    const created = (await ws.ctx.audit.list(0, 1000)).filter((e) => e.action === 'apikey.create' && e.details['apiKeyId'] === first.json['apiKeyId']);
    assert.equal(created.length, 1);
  });

  test('the same key with another body, or for another component, is CONFLICT and not retryable', async () => {
    await ws.call('GENERATE_AGE_ENCRYPTION', {}, { idempotencyKey: 'reused' });
    const other = await ws.call('GENERATE_AGE_ENCRYPTION', { postQuantum: false }, { idempotencyKey: 'reused' });
    assert.equal(other.status, 409);
    assert.equal(other.json.error?.code, 'CONFLICT');
    assert.equal(other.json.error?.retryable, undefined);
    const elsewhere = await ws.call('DELETE_KEY_SHARE', { keyId: 'key_' + 'a'.repeat(26) }, { idempotencyKey: 'reused' });
    assert.equal(elsewhere.json.error?.code, 'CONFLICT');
    // Another API key's records are its own: the same idempotency key is a fresh call for it.
    const reader = newApiKey();
    await ws.call('CREATE_API_KEY', { name: 'age maker', scopes: ['age:generate'], publicKey: reader.publicKey });
    const theirs = await ws.call('GENERATE_AGE_ENCRYPTION', {}, { idempotencyKey: 'reused', key: reader });
    assert.equal(theirs.status, 200);
    assert.equal(theirs.headers[IDEMPOTENT_REPLAYED_HEADER], undefined);
  });

  test('a definite error is stored and replayed in the one error body, with the new request id and replayed: true', async () => {
    const keyId = 'key_' + 'z'.repeat(26);
    const first = await ws.call('DELETE_KEY_SHARE', { keyId }, { idempotencyKey: 'delete-1' });
    assert.equal(first.status, 404);
    assert.deepEqual(first.json, {
      error: { code: 'NOT_FOUND', message: first.json.error!.message, requestId: first.headers['x-request-id'], param: 'keyId' },
    });
    const again = await ws.call('DELETE_KEY_SHARE', { keyId }, { idempotencyKey: 'delete-1' });
    assert.equal(again.status, 404);
    assert.deepEqual(again.json, { error: { ...first.json.error!, requestId: again.headers['x-request-id'], replayed: true } });
    assert.equal(again.headers[IDEMPOTENT_REPLAYED_HEADER], undefined, 'the body says it, for an error');
  });

  test('an error a retry may cure is not kept: RESOURCE_EXHAUSTED, or any retryable error, lets the retry run the call', async () => {
    const db = ws.ctx.store;
    const idem = new Idempotency(db, new Secret(new Uint8Array(randomBytes(32))));
    const hash = idem.requestHash('DELETE_KEY_SHARE', {});
    for (const [key, refusal] of [
      ['busy', new WrError('RESOURCE_EXHAUSTED', 'busy', { retryable: true })],
      ['not-yet', new WrError('NOT_FOUND', 'not there yet', { param: 'keyId', retryable: true })],
    ] as const) {
      let runs = 0;
      const refused = async () => {
        runs++;
        throw refusal;
      };
      await assert.rejects(
        idem.run('ak_x', key, 'DELETE_KEY_SHARE', hash, refused, async () => undefined),
        { code: refusal.code },
      );
      await assert.rejects(
        idem.run('ak_x', key, 'DELETE_KEY_SHARE', hash, refused, async () => undefined),
        { code: refusal.code },
      );
      assert.equal(runs, 2, `${refusal.code} was run again, not replayed`);
      const done = await idem.run(
        'ak_x',
        key,
        'DELETE_KEY_SHARE',
        hash,
        async () => ({ deleted: true }),
        async () => undefined,
      );
      assert.deepEqual(done, { ok: true, result: { deleted: true }, replayed: false });
      assert.equal((await db.get<{ n: number }>('SELECT count(*) AS n FROM idempotency WHERE idempotency_key = ?', key))!.n, 1);
    }
  });

  test("a running record is its owner's while the lease is renewed; only an expired one is taken over, after recover", async () => {
    const masterKey = new Secret(new Uint8Array(randomBytes(32)));
    // Two processes (replicas) on one store: each its own owner.
    const a = new Idempotency(ws.ctx.store, masterKey, 300);
    const b = new Idempotency(ws.ctx.store, masterKey, 300);
    const hash = a.requestHash('DELETE_KEY_SHARE', { keyId: 'k' });
    let runs = 0;
    const slow = a.run(
      'ak_lease',
      'slow',
      'DELETE_KEY_SHARE',
      hash,
      async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 1_200));
        return { deleted: true };
      },
      async () => assert.fail('a live call is not recovered'),
    );
    // Past the first lease (300 ms): renewed, so still A's.
    await new Promise((r) => setTimeout(r, 700));
    await assert.rejects(
      b.run(
        'ak_lease',
        'slow',
        'DELETE_KEY_SHARE',
        hash,
        async () => assert.fail('run twice'),
        async () => assert.fail('recovered a live call'),
      ),
      (err: WrError) => err.code === 'CONFLICT' && err.retryable === true,
    );
    assert.deepEqual(await slow, { ok: true, result: { deleted: true }, replayed: false });
    assert.deepEqual(
      await b.run(
        'ak_lease',
        'slow',
        'DELETE_KEY_SHARE',
        hash,
        async () => assert.fail('run twice'),
        async () => undefined,
      ),
      {
        ok: true,
        result: { deleted: true },
        replayed: true,
      },
    );
    assert.equal(runs, 1);

    // A record whose process died: its lease runs out, and then (not before) it is taken over, the dead session recovered first.
    const insert = (key: string, leaseUntil: number) =>
      ws.ctx.store.run(
        'INSERT INTO idempotency (api_key_id, idempotency_key, component, request_hash, owner, state, session_id, created_at, lease_until)' +
          " VALUES ('ak_lease', ?, 'DELETE_KEY_SHARE', ?, 'proc_dead', 'running', ?, 't', ?)",
        key,
        hash,
        `sess_${key}`,
        leaseUntil,
      );
    await insert('held', Date.now() + 60_000);
    await assert.rejects(
      b.run(
        'ak_lease',
        'held',
        'DELETE_KEY_SHARE',
        hash,
        async () => assert.fail('took over a live lease'),
        async () => undefined,
      ),
      { code: 'CONFLICT' },
    );
    await insert('expired', Date.now() - 1);
    const recovered: string[] = [];
    const taken = await b.run(
      'ak_lease',
      'expired',
      'DELETE_KEY_SHARE',
      hash,
      async () => ({ deleted: true }),
      async (stale) => {
        recovered.push(stale);
      },
    );
    assert.deepEqual(taken, { ok: true, result: { deleted: true }, replayed: false });
    assert.deepEqual(recovered, ['sess_expired']);
  });
  // On workspace.db a claim needs to be on disk before its call runs only where a dead process's call is recovered.
  if (kind === 'sqlite') {
    test('a claim with a recovery (a DKG to abort) is on disk before the call runs; every answered call is on disk', async () => {
      const disk = new Database(ws.config.databaseFile, { readonly: true });
      try {
        const onDisk = (key: string) =>
          (disk.prepare('SELECT state FROM idempotency WHERE idempotency_key = ?').get(key) as { state: string } | undefined)?.state;
        const idem = new Idempotency(ws.ctx.store, new Secret(new Uint8Array(randomBytes(32))));
        const hash = idem.requestHash('CREATE_KEY', {});
        let seen: string | undefined;
        await idem.run(
          'ak_x',
          'with-recovery',
          'CREATE_KEY',
          hash,
          async () => ((seen = onDisk('with-recovery')), {}),
          async () => undefined,
        );
        assert.equal(seen, 'running', 'committed before the call ran');
        assert.equal(onDisk('with-recovery'), 'done');
        const answered = await idem.run('ak_x', 'without', 'SIGN', hash, async () => ({ signed: true }));
        assert.deepEqual(answered, { ok: true, result: { signed: true }, replayed: false });
        assert.equal(onDisk('without'), 'done', 'on disk once answered');
        assert.deepEqual(await idem.run('ak_x', 'without', 'SIGN', hash, async () => assert.fail('a replay does not run again')), {
          ok: true,
          result: { signed: true },
          replayed: true,
        });
      } finally {
        disk.close();
      }
    });
  }
}

eachStore(suite);
