/**
 * The reshare routes of three nodes, driven in process through app.inject(),
 * with this test as the relay: an honest relay reshares a 2-of-3 key to
 * 3-of-3; a dishonest dealer (a commitment it signed, but inconsistent with its
 * sub-shares), a relay that forges a commitment or sends another package, gets
 * the session refused naming the dealer, and the old shares stay.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decodePublicKeyPackage, signLifecycleBroadcast, type ReshareCommitment } from '@wr/crypto';
import { confirmationBytes } from '../src/routes/lifecycle.js';
import { all, nodes, ok, post, session, sign, startKeyedNodes, stopKeyedNodes, type Json } from './support/keyed-nodes.js';
import { reshareStatementBytes } from '../src/routes/reshare.js';

let publicKey: string;
let shares: { keyId: string; identifier: string }[];

before(async () => {
  ({ publicKey, shares } = await startKeyedNodes('reshare'));
});
after(stopKeyedNodes);

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const epochs = () => nodes.map(({ ctx }, i) => ctx.store.get(shares[i]!.keyId)?.epoch);
const ids = () => nodes.map(({ nodeId }, i) => ({ nodeId, identifier: shares[i]!.identifier }));

/** Rounds 1 and 2 of a reshare to 3-of-3 on the same nodes (node-1 and node-2 deal), with a hook to tamper with the dealings. */
async function stage(tamper: { dealings?: (d: Json[]) => Json[]; publicPackage?: (p: string) => string } = {}) {
  const sessionId = session();
  const auth = sign('RESHARE_KEY', { publicKey, threshold: 3, nodeIds: ['node-1', 'node-2', 'node-3'] });
  const real = nodes[0]!.ctx.store.get(shares[0]!.keyId)!.publicPackage;
  const publicPackage = (tamper.publicPackage ?? ((p) => p))(real);
  const dealers = ids().slice(0, 2);
  const r1 = await all((i) => post(i, '/v1/reshare/round1', { sessionId, publicPackage, dealers, holders: ids(), auth }));
  if (r1.some((r) => r.status !== 200)) return { sessionId, r1, r2: [] };
  const dealings = (tamper.dealings ?? ((d) => d))(r1.flatMap((r) => (r.json['dealing'] ? [r.json['dealing'] as Json] : [])));
  const sealed = r1.flatMap((r) => r.json['sealed'] as Json[]);
  const r2 = await all((i) => post(i, '/v1/reshare/round2', { sessionId, dealings, sealed: sealed.filter((s) => s['to'] === shares[i]!.identifier) }));
  return { sessionId, r1, r2 };
}
const abort = (sessionId: string) => all((i) => ok(post(i, '/v1/reshare/abort', { sessionId })));

test("a dealer's dishonest dealing (signed by it, inconsistent with its sub-shares) is refused by every new holder, naming it", async () => {
  const start = epochs();
  const node2 = nodes[1]!.ctx;
  const { sessionId, r2 } = await stage({
    dealings: (d) =>
      d.map((x) => {
        if (x['nodeId'] !== 'node-2') return x;
        // node-2 changes a coefficient commitment (not the constant term) and signs it with its own node key.
        const m = { ...(x['commitment'] as unknown as ReshareCommitment) };
        m.commitments = [m.commitments[0]!, m.commitments[0]!, m.commitments[2]!];
        return { ...x, commitment: m as unknown as Json, signature: signLifecycleBroadcast('reshare-commitment', m, node2.keyring.signingKey) };
      }),
  });
  for (const r of r2) {
    assert.equal(r.json.error?.code, 'SHARE_INVALID', JSON.stringify(r.json));
    assert.match(r.json.error!.message, new RegExp(shares[1]!.identifier));
  }
  await abort(sessionId);
  assert.deepEqual(epochs(), start);
});

test("a relay's forged commitment is refused naming the dealer; another package is refused by the old holders; the old shares stay", async () => {
  const start = epochs();
  const forged = await stage({
    dealings: (d) => d.map((x) => (x['nodeId'] === 'node-1' ? { ...x, commitment: { ...(x['commitment'] as Json), commitments: [] } } : x)),
  });
  for (const r of forged.r2) {
    assert.equal(r.json.error?.code, 'SHARE_INVALID');
    assert.match(r.json.error!.message, /node-1/);
  }
  await abort(forged.sessionId);
  const other = await stage({ publicPackage: (p) => p.replace(/.$/, (ch) => (ch === '0' ? '1' : '0')) });
  assert.ok(other.r1.every((r) => r.status >= 400));
  assert.deepEqual(epochs(), start);
  // A node that holds its old share still holds it: nothing was staged for commit.
  assert.ok(nodes.every(({ ctx }, i) => ctx.store.get(shares[i]!.keyId)));
});

test('an honest relay: 2-of-3 to 3-of-3 on the same nodes, committed only with every confirmation, same group key', async () => {
  const before = decodePublicKeyPackage(nodes[0]!.ctx.store.get(shares[0]!.keyId)!.publicPackage);
  const { sessionId, r2 } = await stage();
  const confirmations = r2.map((r) => {
    assert.equal(r.status, 200, JSON.stringify(r.json.error));
    return r.json;
  });
  assert.equal((await post(0, '/v1/reshare/commit', { sessionId, publicKey, confirmations: confirmations.slice(1) })).json.error?.code, 'PERMISSION_DENIED');
  assert.deepEqual(epochs(), [0, 0, 0]);
  const done = await all((i) => ok(post(i, '/v1/reshare/commit', { sessionId, publicKey, confirmations })));
  assert.deepEqual(
    done.map((d) => [d['retired'], (d['share'] as Json)['epoch'], (d['share'] as Json)['minSigners']]),
    [
      [false, 1, 3],
      [false, 1, 3],
      [false, 1, 3],
    ],
  );
  const after = decodePublicKeyPackage(nodes[0]!.ctx.store.get(shares[0]!.keyId)!.publicPackage);
  assert.equal(after.groupPublicKey, before.groupPublicKey);
  assert.equal(after.minSigners, 3);
  // A retried commit answers the same.
  assert.equal(((await ok(post(1, '/v1/reshare/commit', { sessionId, publicKey, confirmations })))['share'] as Json)['epoch'], 1);
});

test('the signed reshare statement and confirmation bytes are unchanged (golden)', () => {
  const ses = 'ses_' + '0'.repeat(26);
  const p = [{ nodeId: 'node-1', identifier: '01' }];
  const facts = { nodeId: 'node-1', identifier: '01', fromEpoch: 2, publicPackage: 'pkg', minSigners: 3, exportable: true, backupPolicy: '-' };
  assert.equal(
    Buffer.from(reshareStatementBytes(ses, 'cd'.repeat(32), facts, p, p)).toString('utf8'),
    ['wr/reshare-dealing/v2', ses, 'cd'.repeat(32), 'node-1', '01', '2', sha('pkg'), '3', 'node-1=01', 'node-1=01', '1', '-'].join('\n'),
  );
  const c = { nodeId: 'node-2', identifier: '02', epoch: 3, confirmation: 'ab'.repeat(32) };
  assert.equal(
    Buffer.from(confirmationBytes('reshare', ses, 'cd'.repeat(32), c)).toString('utf8'),
    ['wr/reshare-confirmation/v1', ses, 'cd'.repeat(32), 'node-2', '02', '3', 'ab'.repeat(32)].join('\n'),
  );
});

test('a leaving holder retires its share only on every new holder receipt that it committed', async () => {
  const sessionId = session();
  const holders = ids().slice(1);
  const auth = sign('RESHARE_KEY', { publicKey, threshold: 2, nodeIds: ['node-2', 'node-3'] });
  const publicPackage = nodes[0]!.ctx.store.get(shares[0]!.keyId)!.publicPackage;
  const r1 = await all((i) => ok(post(i, '/v1/reshare/round1', { sessionId, publicPackage, dealers: ids(), holders, auth })));
  const dealings = r1.map((r) => r['dealing'] as Json);
  const sealed = r1.flatMap((r) => r['sealed'] as Json[]);
  const confirmations = await Promise.all(
    [1, 2].map((i) => ok(post(i, '/v1/reshare/round2', { sessionId, dealings, sealed: sealed.filter((s) => s['to'] === shares[i]!.identifier) }))),
  );
  const body = { sessionId, publicKey, confirmations };
  // Confirmed, but no new holder committed yet: node-1 keeps its share.
  assert.equal((await post(0, '/v1/reshare/commit', body)).json.error?.code, 'PERMISSION_DENIED');
  const done = await Promise.all([1, 2].map((i) => ok(post(i, '/v1/reshare/commit', body))));
  const committed = done.map((d) => {
    const s = d['share'] as Json;
    return { nodeId: s['receipt'] && (s['receipt'] as Json)['nodeId'], keyId: s['keyId'], identifier: s['identifier'], receipt: s['receipt'] };
  });
  // A receipt of one holder passed off as the other's is refused.
  const swapped = committed.map((c, i) =>
    i === 1 ? { ...c, receipt: { ...(c.receipt as Json), signature: (committed[0]!.receipt as Json)['signature'] } } : c,
  );
  assert.equal((await post(0, '/v1/reshare/commit', { ...body, committed: swapped })).json.error?.code, 'PERMISSION_DENIED');
  assert.ok(nodes[0]!.ctx.store.get(shares[0]!.keyId), 'node-1 still holds its share');
  assert.equal((await ok(post(0, '/v1/reshare/commit', { ...body, committed })))['retired'], true);
  assert.equal(nodes[0]!.ctx.store.get(shares[0]!.keyId), undefined);
  // A retried retire answers the same.
  assert.equal((await ok(post(0, '/v1/reshare/commit', { ...body, committed })))['retired'], true);
});
