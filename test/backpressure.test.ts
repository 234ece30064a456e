/**
 * Backpressure on the real network (a workspace and four nodes, separate
 * processes), with small bounds passed through the servers' environment:
 * 400 SIGNs at once each get a signature or RESOURCE_EXHAUSTED (503,
 * retryable, Retry-After), and none waits longer than the configured bound;
 * a refused CREATE_KEY, retried with its idempotency key, runs and is no replay.
 * Calls are raw signed requests, never retried, so each answer is the server's own.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { IDEMPOTENT_REPLAYED_HEADER } from '@wr/api';
import { ComponentModule, WorkspaceClient, type ComponentResult } from 'caller-sdk';
import { startTestNetwork, type TestNetwork } from '@wr/cli/test-network';
import { signed } from './support/raw.js';
import { ed25519Verify } from './support/verify.js';

/** The longest a call waits for a slot (the workspace's SIGN and CREATE_KEY calls, a node's heavy steps). */
const MAX_QUEUE_WAIT_MS = 1_000;
const LIMITS = { WR_MAX_IN_FLIGHT: '4', WR_MAX_QUEUED: '16', WR_MAX_QUEUE_WAIT_MS: String(MAX_QUEUE_WAIT_MS), WR_LOG_LEVEL: 'warn' };
/**
 * What a call may take beyond its wait for a slot: its own run (two signing rounds on two nodes, a few tens of
 * milliseconds alone; several times that on a 2-core machine running 400 at once) and the workspace reading 400 requests.
 * Without backpressure the last of 400 SIGNs answers after 10 s and more.
 */
const RUN_ALLOWANCE_MS = 2_000;

let net: TestNetwork;
let keys: ComponentResult<'CREATE_KEY'>[];

before(async () => {
  net = await startTestNetwork('backpressure', { env: LIMITS });
  const ws = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, maxRetries: 0 });
  keys = [];
  for (const nodeIds of [
    ['node-1', 'node-2'],
    ['node-3', 'node-4'],
  ])
    keys.push(await ws.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds }).promise());
});
after(() => net?.cleanup());

interface Answer {
  status: number;
  ms: number;
  retryAfter: string | null;
  replayed: string | null;
  json: { error?: { code: string; message: string; retryable?: boolean } } & Record<string, unknown>;
}

/** One signed call, sent once. */
async function call(component: string, params: object, idempotencyKey = ''): Promise<Answer> {
  const body = JSON.stringify(params);
  const t = performance.now();
  const res = await fetch(`${net.baseUrl}/v1/components/${component}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signed(net.apiKey, component, body, idempotencyKey) },
    body,
  });
  const json = (await res.json()) as Answer['json'];
  return {
    status: res.status,
    ms: performance.now() - t,
    retryAfter: res.headers.get('retry-after'),
    replayed: res.headers.get(IDEMPOTENT_REPLAYED_HEADER),
    json,
  };
}

/** RESOURCE_EXHAUSTED as the one error body says it: 503, retryable, with Retry-After. */
function isBusy(a: Answer): boolean {
  if (a.json.error?.code !== 'RESOURCE_EXHAUSTED') return false;
  assert.equal(a.status, 503);
  assert.equal(a.json.error.retryable, true);
  assert.equal(a.retryAfter, '1');
  return true;
}

test('400 SIGNs at once get either a signature or RESOURCE_EXHAUSTED, and no call waits longer than the configured bound', async (t) => {
  const calls = Array.from({ length: 400 }, (_, i) => {
    const key = keys[i % keys.length]!;
    const message = i.toString(16).padStart(8, '0').repeat(4);
    return call('SIGN', { keyIds: key.shares.map((s) => s.keyId), message }).then((a) => ({ a, key, message }));
  });
  const answers = await Promise.all(calls);
  let signatures = 0;
  let busy = 0;
  const other: string[] = [];
  for (const { a, key, message } of answers) {
    if (a.status === 200) {
      assert.equal(a.json['publicKey'], key.publicKey);
      assert.ok(ed25519Verify(key.publicKey, message, a.json['signature'] as string), 'the signature verifies');
      signatures++;
    } else if (isBusy(a)) busy++;
    else other.push(`${a.status} ${a.json.error?.code}: ${a.json.error?.message}`);
  }
  const slowest = Math.max(...answers.map(({ a }) => a.ms));
  const summary = `${signatures} signatures, ${busy} RESOURCE_EXHAUSTED, slowest ${slowest.toFixed(0)} ms`;
  t.diagnostic(summary);
  assert.deepEqual(other, [], summary);
  assert.ok(signatures >= 4, `work still gets done: ${summary}`);
  assert.ok(busy > 0, `beyond the bound, callers are told: ${summary}`);
  assert.ok(slowest <= MAX_QUEUE_WAIT_MS + RUN_ALLOWANCE_MS, `no call waits longer than the bound: ${summary}`);

  // The network is not left worse for it: the next call signs.
  const after = await call('SIGN', { keyIds: keys[0]!.shares.map((s) => s.keyId), message: 'cd'.repeat(32) });
  assert.equal(after.status, 200, JSON.stringify(after.json));
});

test('CREATE_KEYs refused as busy leave no idempotency record: each retry with its key runs once, then replays', async () => {
  const pending = new Map(Array.from({ length: 40 }, () => [randomUUID(), undefined as Answer | undefined]));
  const params = { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-2', 'node-3'] };
  let refused = 0;
  for (let round = 0; round < 20 && [...pending.values()].some((a) => a === undefined); round++) {
    const open = [...pending].filter(([, a]) => a === undefined).map(([k]) => k);
    const answers = await Promise.all(open.map((k) => call('CREATE_KEY', params, k)));
    answers.forEach((a, i) => {
      if (isBusy(a)) {
        assert.equal(a.json.error?.['replayed' as never], undefined, 'a refusal is never a replay');
        refused++;
      } else {
        assert.equal(a.status, 200, JSON.stringify(a.json));
        pending.set(open[i]!, a);
      }
    });
    // Retry-After: 1, spread a little.
    await new Promise((r) => setTimeout(r, 1_000 + Math.random() * 500));
  }
  assert.ok(refused > 0, 'some calls were refused at first');
  const created = [...pending.values()];
  assert.ok(
    created.every((a) => a !== undefined),
    'each call ran in the end',
  );
  for (const a of created) assert.equal(a!.replayed, null, 'the first success is the call run, not a stored refusal replayed');
  assert.equal(new Set(created.map((a) => a!.json['publicKey'])).size, 40, 'forty distinct keys');
  // And now each key's outcome is stored: its retry replays it.
  const [k, first] = [...pending][0]!;
  const replay = await call('CREATE_KEY', params, k);
  assert.equal(replay.replayed, 'true');
  assert.equal(replay.json['publicKey'], first!.json['publicKey']);
});
