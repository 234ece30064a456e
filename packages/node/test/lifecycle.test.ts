/**
 * The refresh routes of three nodes, driven in process through app.inject(),
 * with this test as the relay: an honest relay refreshes the key; a relay that
 * forges a commitment, swaps a sealed sub-share or holds back a confirmation
 * gets the session refused, and the old share stays.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodePublicKeyPackage } from '@wr/crypto';
import { confirmationBytes } from '../src/routes/lifecycle.js';
import { all, nodes, ok, post, session, sign, startKeyedNodes, stopKeyedNodes, type Json } from './support/keyed-nodes.js';

let publicKey: string;
let shares: { keyId: string; identifier: string }[];

before(async () => {
  ({ publicKey, shares } = await startKeyedNodes('lifecycle'));
});
after(stopKeyedNodes);

const participants = () => nodes.map(({ nodeId }, i) => ({ nodeId, identifier: shares[i]!.identifier }));
const epochs = () => nodes.map(({ ctx }, i) => ctx.store.get(shares[i]!.keyId)!.epoch);

/** Rounds 1 and 2 as a relay runs them, with a hook to tamper with what it passes on. */
async function stage(tamper: { commitments?: (c: Json[]) => Json[]; sealed?: (s: Json[]) => Json[] } = {}) {
  const sessionId = session();
  const auth = sign('REFRESH_KEY', { publicKey });
  const r1 = await all((i) => ok(post(i, '/v1/refresh/round1', { sessionId, participants: participants(), auth })));
  const commitments = (tamper.commitments ?? ((c) => c))(r1.map((r) => ({ message: r['commitment'], signature: r['signature'] })));
  const sealed = (tamper.sealed ?? ((s) => s))(r1.flatMap((r) => r['sealed'] as Json[]));
  const r2 = await all((i) => post(i, '/v1/refresh/round2', { sessionId, commitments, sealed: sealed.filter((s) => s['to'] === shares[i]!.identifier) }));
  return { sessionId, r2 };
}

test('an honest relay: every node stages, commits with every confirmation, and the key moves to epoch 1 with the same group key', async () => {
  const before = nodes[0]!.ctx.store.get(shares[0]!.keyId)!;
  const { sessionId, r2 } = await stage();
  const confirmations = r2.map((r) => {
    assert.equal(r.status, 200, JSON.stringify(r.json.error));
    return r.json;
  });
  assert.deepEqual(epochs(), [0, 0, 0], 'staged, not yet committed');
  const done = await all((i) => ok(post(i, '/v1/refresh/commit', { sessionId, publicKey, confirmations })));
  assert.deepEqual(
    done.map((d) => d['epoch']),
    [1, 1, 1],
  );
  assert.deepEqual(epochs(), [1, 1, 1]);
  const after = nodes[0]!.ctx.store.get(shares[0]!.keyId)!;
  const [a, b] = [decodePublicKeyPackage(before.publicPackage), decodePublicKeyPackage(after.publicPackage)];
  assert.equal(b.groupPublicKey, a.groupPublicKey);
  assert.notEqual(b.verifyingShares[shares[0]!.identifier], a.verifyingShares[shares[0]!.identifier]);
  // Every node's package is the same.
  assert.equal(new Set(nodes.map(({ ctx }, i) => ctx.store.get(shares[i]!.keyId)!.publicPackage)).size, 1);
});

test('a forged commitment or a swapped sub-share is refused at round 2, naming the sender; an abort leaves the old share', async () => {
  const start = epochs();
  // The relay changes node-2's commitment: its node signature no longer verifies.
  const forged = await stage({
    commitments: (c) =>
      c.map((x, i) => (i === 1 ? { ...x, message: { ...(x['message'] as Json), commitments: (c[2]!['message'] as Json)['commitments'] } } : x)),
  });
  for (const r of forged.r2) assert.equal(r.json.error?.code, 'SHARE_INVALID');
  // The relay passes node-3's sub-share for node-1 off as node-2's.
  const swapped = await stage({
    sealed: (s) => s.map((m) => (m['from'] === shares[1]!.identifier && m['to'] === shares[0]!.identifier ? { ...m, from: shares[2]!.identifier } : m)),
  });
  // The signed header inside the sealed message names node-2, not node-3: refused before anything is added.
  assert.equal(swapped.r2[0]!.json.error?.code, 'SHARE_INVALID');
  for (const s of [forged, swapped])
    await all((i) => post(i, '/v1/refresh/abort', { sessionId: s.sessionId }).then((r) => assert.equal(r.status, 200, JSON.stringify(r.json.error))));
  assert.deepEqual(epochs(), start);
});

test('a held-back or forged confirmation commits nothing; a later session replaces the staged share; a retried commit answers the same', async () => {
  const start = epochs();
  const { sessionId, r2 } = await stage();
  const confirmations = r2.map((r) => r.json);
  const heldBack = await post(0, '/v1/refresh/commit', { sessionId, publicKey, confirmations: confirmations.slice(1) });
  assert.equal(heldBack.json.error?.code, 'PERMISSION_DENIED');
  // node-3's confirmation under node-2's signature.
  const forged = confirmations.map((c, i) => (i === 2 ? { ...c, signature: confirmations[1]!['signature'] } : c));
  assert.equal((await post(0, '/v1/refresh/commit', { sessionId, publicKey, confirmations: forged })).json.error?.code, 'PERMISSION_DENIED');
  assert.deepEqual(epochs(), start);
  const other = await stage();
  // The later session replaced the first one's staged share: only it can commit now.
  assert.equal((await post(0, '/v1/refresh/commit', { sessionId, publicKey, confirmations })).json.error?.code, 'NOT_FOUND');
  const good = other.r2.map((r) => r.json);
  await all((i) => ok(post(i, '/v1/refresh/commit', { sessionId: other.sessionId, publicKey, confirmations: good })));
  assert.deepEqual(
    epochs(),
    start.map((e) => e + 1),
  );
  assert.equal((await ok(post(1, '/v1/refresh/commit', { sessionId: other.sessionId, publicKey, confirmations: good })))['epoch'], start[1]! + 1);
});

test('the signed confirmation bytes are unchanged (golden)', () => {
  const c = { nodeId: 'node-2', identifier: '02'.padStart(64, '0'), epoch: 3, confirmation: 'ab'.repeat(32) };
  assert.equal(
    Buffer.from(confirmationBytes('refresh', 'ses_' + '0'.repeat(26), 'cd'.repeat(32), c)).toString('utf8'),
    ['wr/refresh-confirmation/v1', 'ses_' + '0'.repeat(26), 'cd'.repeat(32), 'node-2', '02'.padStart(64, '0'), '3', 'ab'.repeat(32)].join('\n'),
  );
});
