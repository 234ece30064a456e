/**
 * Backpressure, through app.inject() in front of real nodes: beyond its
 * bounds (SIGN and CREATE_KEY calls, requests queued per node, a node's heavy
 * steps) a call is refused at once with a retryable RESOURCE_EXHAUSTED, 503
 * and Retry-After; having done nothing, it leaves no idempotency record.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { IDEMPOTENT_REPLAYED_HEADER, readErrorBody } from '@wr/api';
import { eachStore, startTestWorkspace, type StoreKind, type Answer, type TestWorkspace } from './support.js';

/** Holds a slot of a pool (or a place in its queue, until the wait ends) until `open()`. */
function hold(pool: { run(task: () => Promise<void>): Promise<void> }) {
  let open: (() => void) | undefined;
  const held = pool.run(() => new Promise<void>((r) => (open = r))).catch(() => undefined);
  return { open: () => (open?.(), held) };
}

function busy(r: Answer, what: RegExp) {
  assert.equal(r.status, 503, JSON.stringify(r.json));
  assert.equal(r.headers['retry-after'], '1');
  const e = readErrorBody(r.json);
  assert.equal(e?.code, 'RESOURCE_EXHAUSTED');
  assert.equal(e.retryable, true);
  assert.match(e.message, what);
}

function suite(kind: StoreKind): void {
  let ws: TestWorkspace;
  let keyIds: string[];
  before(async () => {
    ws = await startTestWorkspace({
      store: kind,
      config: { callLimits: { maxInFlight: 1, maxQueued: 1, maxQueueWaitMs: 300 }, nodeRequestLimits: { maxInFlight: 1, maxQueued: 0 } },
    });
    const created = await ws.call('CREATE_KEY', { scheme: 'frost-ed25519', threshold: 2 });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    keyIds = (created.json['shares'] as { keyId: string }[]).map((s) => s.keyId);
  });
  after(() => ws?.close());

  const sign = (opts: { idempotencyKey?: string } = {}) => ws.call('SIGN', { keyIds, message: 'ab'.repeat(32) }, opts);

  test('SIGN and CREATE_KEY beyond the bound: refused at once when the queue is full, after maxQueueWaitMs when no slot frees up', async () => {
    const slot = hold(ws.ctx.calls);
    const waiting = hold(ws.ctx.calls);
    let t = performance.now();
    const atOnce = await sign();
    busy(atOnce, /SIGN and CREATE_KEY calls on this workspace are at their bound \(1 running and 1 waiting/);
    assert.match(String(atOnce.headers['server-timing']), /^queue;dur=\d+$/, 'it says how long it was held');
    assert.ok(performance.now() - t < 250, 'at once');
    busy(await ws.call('CREATE_KEY', { scheme: 'frost-ed25519', threshold: 2 }), /at their bound/);
    // Other calls are not held up.
    assert.equal((await ws.call('GET_KEY', { keyId: keyIds[0] })).status, 200);
    await slot.open();
    await waiting.open();

    const again = hold(ws.ctx.calls);
    t = performance.now();
    const timedOut = await sign();
    busy(timedOut, /no slot freed up within 300 ms/);
    assert.ok(Number(/^queue;dur=(\d+)$/.exec(String(timedOut.headers['server-timing']))?.[1]) >= 300, 'held for the whole wait');
    const waited = performance.now() - t;
    assert.ok(waited >= 290 && waited < 2_000, `waited ${waited} ms`);
    await again.open();
    assert.equal((await sign()).status, 200);
  });

  test('a refused CREATE_KEY leaves no idempotency record: its retry with the same key runs, and is no replay', async () => {
    const slot = hold(ws.ctx.calls);
    const waiting = hold(ws.ctx.calls);
    const params = { scheme: 'frost-ed25519', threshold: 2 };
    const refused = await ws.call('CREATE_KEY', params, { idempotencyKey: 'busy-create-1' });
    busy(refused, /at their bound/);
    assert.equal(refused.json.error?.replayed, undefined);
    busy(await ws.call('CREATE_KEY', params, { idempotencyKey: 'busy-create-1' }), /at their bound/);
    const stored = (await ws.ctx.store.get<{ n: number }>('SELECT count(*) AS n FROM idempotency WHERE idempotency_key = ?', 'busy-create-1'))!;
    assert.equal(stored.n, 0);
    await slot.open();
    await waiting.open();
    const created = await ws.call('CREATE_KEY', params, { idempotencyKey: 'busy-create-1' });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    assert.equal(created.headers[IDEMPOTENT_REPLAYED_HEADER], undefined, 'run, not replayed');
    const replay = await ws.call('CREATE_KEY', params, { idempotencyKey: 'busy-create-1' });
    assert.equal(replay.headers[IDEMPOTENT_REPLAYED_HEADER], 'true');
    assert.deepEqual(replay.json, created.json);
  });

  test("requests queued for a node beyond its bound: RESOURCE_EXHAUSTED naming the node; probes and other nodes' requests go on", async () => {
    const node1 = ws.ctx.network.client('node-1').queue;
    const slot = hold(node1);
    busy(await ws.call('LIST_KEYS', { nodeId: 'node-1' }), /requests to node-1 are at their bound/);
    // A SIGN that needs node-1 is refused too.
    busy(await sign(), /requests to node-1/);
    assert.equal((await ws.call('LIST_KEYS', { nodeId: 'node-2' })).status, 200);
    assert.equal((await ws.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'a probe goes around the queue');
    await slot.open();
    assert.equal(node1.refused >= 2, true);
    assert.equal((await sign()).status, 200);
  });

  test('a node at its bound on heavy steps refuses them; the workspace passes RESOURCE_EXHAUSTED on, retryable, with Retry-After', async () => {
    const steps = ws.nodes[0]!.ctx.steps;
    const { maxInFlight, maxQueued } = steps.limits;
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    const held = Array.from({ length: maxInFlight + maxQueued }, () => steps.run(() => opened).catch(() => undefined));
    busy(await sign(), /heavy protocol steps on node-1 are at their bound/);
    open();
    await Promise.all(held);
    assert.equal((await sign()).status, 200);
  });

  test('/openapi.json documents RESOURCE_EXHAUSTED: 503 with Retry-After and the error body', async () => {
    const doc = (await ws.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const r = doc.paths['/v1/components/SIGN'].post.responses['503'];
    assert.match(r.description, /RESOURCE_EXHAUSTED/);
    assert.deepEqual(r.headers['Retry-After'].schema, { type: 'integer', minimum: 0 });
    assert.deepEqual(r.content['application/json'].schema, { $ref: '#/components/schemas/ErrorBody' });
  });
}

eachStore(suite);
