/**
 * Concurrency against the real network: many calls at once, on the same share,
 * on the same idempotency key, and mixed across nodes. Calls go through a
 * client that does not retry, so every call must succeed on its own.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ComponentModule, WorkspaceClient, type ComponentResult } from 'caller-sdk';
import { signed } from './support/raw.js';
import { startTestNetwork, type TestNetwork } from '@wr/cli/test-network';
import { ed25519Verify } from './support/verify.js';
import { checkWrapped, failureCode, holdings, newEscrow, provesSigning, slotOf, type Escrow } from './support/crash-inventory.js';

const NODES = ['node-1', 'node-2', 'node-3', 'node-4'] as const;
const SCHEME = 'frost-ed25519' as const;
type Key = ComponentResult<'CREATE_KEY'>;

let net: TestNetwork;
/** No retries: a call that needed one fails the test. */
let strict: WorkspaceClient;
let escrow: Escrow;
const recipients = new Map<string, string>();
/** Keys made by the concurrent CREATE_KEY test, used by the mixed test. */
const keys: Key[] = [];

before(async () => {
  // The bursts here test correctness under concurrency, not backpressure (test/backpressure.test.ts does): a call may wait
  // for its slot as long as the client does, so that on a loaded machine a burst is queued rather than refused.
  net = await startTestNetwork('concurrency', { keep: Boolean(process.env['WR_KEEP_TEST_FILES']), env: { WR_MAX_QUEUE_WAIT_MS: '60000' } });
  strict = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, maxRetries: 0, timeoutMs: 60_000 });
  escrow = await newEscrow();
  for (const nodeId of NODES) recipients.set(nodeId, (await strict.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId }).promise()).recipientKey);
});

after(async () => {
  await net?.cleanup();
});

/** Settles every call; fails with the list of those that failed, by code. */
async function allSucceed<T>(calls: Promise<T>[], what: string): Promise<T[]> {
  const settled = await Promise.allSettled(calls);
  const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [`#${i}: ${failureCode(s.reason)}: ${(s.reason as Error).message}`] : []));
  assert.deepEqual(failed, [], `${what}: ${failed.length} of ${calls.length} calls failed`);
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

async function shareCount(): Promise<Map<string, number>> {
  const h = await holdings(strict, NODES);
  return new Map([...h].map(([n, list]) => [n, list.length]));
}

test('50 concurrent imports of the same wrapped share into one node give one share and one keyId', async () => {
  const key = await strict.call(ComponentModule.CREATE_KEY, { scheme: SCHEME, threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise();
  const source = key.shares[0]!;
  const { wrappedKeyShare } = await strict.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: source.keyId, ageRecipient: recipients.get('node-4')! }).promise();
  const before = await shareCount();

  const results = await allSucceed(
    Array.from({ length: 50 }, () => strict.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare, nodeId: 'node-4' }).promise()),
    'IMPORT_KEY_SHARE ×50',
  );
  const keyIds = new Set(results.map((r) => r.keyId));
  assert.equal(keyIds.size, 1, `the same share got ${keyIds.size} keyIds`);
  assert.equal(results.filter((r) => !r.alreadyPresent).length, 1, 'exactly one import stored it (alreadyPresent: false)');
  const [keyId] = keyIds;

  const after = await shareCount();
  assert.equal(after.get('node-4'), before.get('node-4')! + 1, 'node-4 holds one more share, not more');
  const onNode4 = (await holdings(strict, ['node-4']))
    .get('node-4')!
    .filter((s) => slotOf(s) === slotOf({ publicKey: key.publicKey, identifier: source.identifier }));
  assert.deepEqual(
    onNode4.map((s) => s.keyId),
    [keyId],
  );
  // The one copy is whole: it signs with the other share in place of the original.
  await provesSigning(strict, [keyId!, key.shares[1]!.keyId], key.publicKey);
});

test('concurrent calls with one idempotency key do the work once', async () => {
  const patient = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, maxRetries: 8, timeoutMs: 60_000 });
  const before = await shareCount();
  // The first runs; the others get "still running" (409), wait, and get its stored result.
  const created = await allSucceed(
    Array.from({ length: 10 }, () =>
      patient.call(ComponentModule.CREATE_KEY, { scheme: SCHEME, threshold: 2, nodeIds: ['node-2', 'node-3'] }, { idempotencyKey: 'one-key-create' }).promise(),
    ),
    'CREATE_KEY ×10, one idempotency key',
  );
  for (const c of created) assert.deepEqual(c, created[0], 'every caller got the same key');
  const afterCreate = await shareCount();
  assert.equal(afterCreate.get('node-2'), before.get('node-2')! + 1, 'one key generation ran, not ten');
  assert.equal(afterCreate.get('node-3'), before.get('node-3')! + 1, 'one key generation ran, not ten');

  const { wrappedKeyShare } = await strict
    .call(ComponentModule.EXPORT_KEY_SHARE, { keyId: created[0]!.shares[0]!.keyId, ageRecipient: recipients.get('node-1')! })
    .promise();
  const imported = await allSucceed(
    Array.from({ length: 10 }, () =>
      patient.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare, nodeId: 'node-1' }, { idempotencyKey: 'one-key-import' }).promise(),
    ),
    'IMPORT_KEY_SHARE ×10, one idempotency key',
  );
  for (const r of imported) assert.deepEqual(r, imported[0], 'every caller got the same outcome');
  assert.equal(imported[0]!.alreadyPresent, false);
  assert.equal((await shareCount()).get('node-1'), afterCreate.get('node-1')! + 1);
});

test('a call still running is CONFLICT with retryable and Retry-After; a reused key for another request is not retryable', async () => {
  const post = (idempotencyKey: string, nodeIds: string[]) => {
    const body = JSON.stringify({ scheme: SCHEME, threshold: 2, nodeIds });
    return fetch(`${net.baseUrl}/v1/components/CREATE_KEY`, {
      method: 'POST',
      headers: { ...signed(net.apiKey, 'CREATE_KEY', body, idempotencyKey), 'content-type': 'application/json' },
      body,
    });
  };
  // A key generation takes long enough for the second of two requests to arrive while the first runs.
  const answers = await Promise.all([post('still-running', ['node-1', 'node-2']), post('still-running', ['node-1', 'node-2'])]);
  assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409]);
  const waiting = answers.find((a) => a.status === 409)!;
  assert.equal(waiting.headers.get('retry-after'), '1');
  const body = (await waiting.json()) as { error: { code: string; retryable?: boolean } };
  assert.deepEqual([body.error.code, body.error.retryable], ['CONFLICT', true]);

  const other = await post('still-running', ['node-3', 'node-4']);
  assert.equal(other.status, 409);
  assert.equal(other.headers.get('retry-after'), null);
  const otherBody = (await other.json()) as { error: { code: string; retryable?: boolean } };
  assert.deepEqual([otherBody.error.code, otherBody.error.retryable], ['CONFLICT', undefined]);
  // The SDK gives up on that one at once rather than retrying.
  const patient = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, maxRetries: 8 });
  const started = Date.now();
  await assert.rejects(
    patient.call(ComponentModule.CREATE_KEY, { scheme: SCHEME, threshold: 2, nodeIds: ['node-3', 'node-4'] }, { idempotencyKey: 'still-running' }).promise(),
    { code: 'CONFLICT' },
  );
  assert.ok(Date.now() - started < 3000, 'no retries (8 of them would take over 10 s) for a request that can never succeed');
});

test('20 concurrent CREATE_KEYs all complete, with distinct keys and one share per node each', async () => {
  const before = await shareCount();
  // Every pair and triple of nodes, so that each node takes part in many key generations at once.
  const sets: string[][] = [];
  for (let a = 0; a < 4; a++) for (let b = a + 1; b < 4; b++) sets.push([NODES[a]!, NODES[b]!]);
  for (let skip = 0; skip < 4; skip++) sets.push(NODES.filter((_, i) => i !== skip));
  const plan = Array.from({ length: 20 }, (_, i) => sets[i % sets.length]!);

  const made = await allSucceed(
    plan.map((nodeIds) => strict.call(ComponentModule.CREATE_KEY, { scheme: SCHEME, threshold: 2, nodeIds }).promise()),
    'CREATE_KEY ×20',
  );
  keys.push(...made);
  assert.equal(new Set(made.map((k) => k.publicKey)).size, 20, 'twenty distinct public keys');
  const allKeyIds = made.flatMap((k) => k.shares.map((s) => s.keyId));
  assert.equal(new Set(allKeyIds).size, allKeyIds.length, 'every share has its own keyId');
  made.forEach((k, i) => {
    assert.deepEqual(
      k.shares.map((s) => s.nodeId),
      plan[i],
      'one share on each node asked for, in order',
    );
    assert.equal(new Set(k.shares.map((s) => s.identifier)).size, k.shares.length, 'distinct identifiers');
  });

  const after = await holdings(strict, NODES);
  for (const nodeId of NODES) {
    const expected = plan.filter((p) => p.includes(nodeId)).length;
    assert.equal(after.get(nodeId)!.length, before.get(nodeId)! + expected, `${nodeId} holds exactly its new shares`);
  }
  // Every key signs with its first two shares.
  await allSucceed(
    made.map((k) =>
      provesSigning(
        strict,
        k.shares.slice(0, 2).map((s) => s.keyId),
        k.publicKey,
      ),
    ),
    'SIGN of each new key',
  );
});

test('100 mixed exports, imports and signatures at once across nodes all succeed', async () => {
  assert.equal(keys.length, 20, 'the keys of the previous test');
  const before = await holdings(strict, NODES);
  // Imports: a share of each key, wrapped (beforehand) to a node that holds no share of that key.
  const imports: { wrapped: string; nodeId: string; publicKey: string; identifier: string }[] = [];
  for (const k of keys) {
    const others = NODES.filter((n) => !k.shares.some((s) => s.nodeId === n));
    for (const [j, target] of others.entries()) {
      const s = k.shares[j % k.shares.length]!;
      const { wrappedKeyShare } = await strict.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: s.keyId, ageRecipient: recipients.get(target)! }).promise();
      imports.push({ wrapped: wrappedKeyShare, nodeId: target, publicKey: k.publicKey, identifier: s.identifier });
    }
  }
  const importBurst = imports.slice(0, 30);

  type Outcome = () => Promise<void>;
  const calls: Promise<Outcome>[] = [];
  for (const imp of importBurst) {
    calls.push(
      strict
        .call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: imp.wrapped, nodeId: imp.nodeId })
        .promise()
        .then((r) => async () => {
          assert.equal(slotOf(r), slotOf(imp), 'the import names the share it got');
          assert.equal(r.alreadyPresent, false);
        }),
    );
  }
  for (let i = 0; calls.length < 65; i++) {
    const k = keys[i % keys.length]!;
    const s = k.shares[i % k.shares.length]!;
    calls.push(
      strict
        .call(ComponentModule.EXPORT_KEY_SHARE, { keyId: s.keyId, ageRecipient: escrow.recipient })
        .promise()
        .then((r) => () => checkWrapped(r.wrappedKeyShare, escrow, s)),
    );
  }
  for (let i = 0; calls.length < 100; i++) {
    const k = keys[i % keys.length]!;
    const quorum = i % 2 === 0 ? k.shares.slice(0, 2) : k.shares.slice(-2);
    const message = (i + 256).toString(16).padStart(4, '0').repeat(4);
    calls.push(
      strict
        .call(ComponentModule.SIGN, { keyIds: quorum.map((s) => s.keyId), message })
        .promise()
        .then((r) => async () => {
          assert.equal(r.publicKey, k.publicKey);
          assert.ok(ed25519Verify(k.publicKey, message, r.signature), 'the signature verifies');
        }),
    );
  }
  const checks = await allSucceed(calls, '100 mixed calls');
  for (const check of checks) await check();

  // The imports, and only they, were added.
  const after = await holdings(strict, NODES);
  for (const nodeId of NODES) {
    const added = importBurst.filter((i) => i.nodeId === nodeId).length;
    assert.equal(after.get(nodeId)!.length, before.get(nodeId)!.length + added, `${nodeId}: its imports, once each`);
    const slots = after.get(nodeId)!.map(slotOf);
    assert.equal(new Set(slots).size, slots.length, `${nodeId}: no share twice`);
  }
});
