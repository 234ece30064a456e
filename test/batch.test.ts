/**
 * EXPORT_KEY_SHARES and IMPORT_KEY_SHARES end to end on a real network: a mix
 * of good and bad items, where each bad item fails with its own code and the
 * good ones land (and sign); hostile batches (too many items, repeats, indexes
 * a relay made up, a replayed batch) are refused with stable codes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ComponentModule, LIMITS, type ComponentResult } from 'caller-sdk';
import { startTestNetwork, type TestNetwork } from '@wr/cli/test-network';
import { asRelay, rawCall, signed } from './support/raw.js';

let net: TestNetwork;
let a: ComponentResult<'CREATE_KEY'>;
let b: ComponentResult<'CREATE_KEY'>;
let locked: ComponentResult<'CREATE_KEY'>;
let node4: string;

const missingKeyId = `key_${'a'.repeat(26)}`;

before(async () => {
  net = await startTestNetwork('batch');
  const make = (nodeIds: string[], exportable = true) =>
    net.client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds, exportable }).promise();
  [a, b, locked] = await Promise.all([make(['node-1', 'node-2', 'node-3']), make(['node-2', 'node-3']), make(['node-1', 'node-2'], false)]);
  node4 = (await net.client.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-4' }).promise()).recipientKey;
});
after(async () => {
  await net?.cleanup();
});

const codes = (results: { ok: boolean; error?: { code: string } }[]) => results.map((r) => (r.ok ? 'ok' : r.error?.code));

test('a batch export and import: each item answered on its own, the good ones land on node-4 and sign', async () => {
  // The SDK checks every ok item's receipt against the roster (the test client knows the admin key).
  const exported = await net.client
    .call(ComponentModule.EXPORT_KEY_SHARES, {
      items: [
        { keyId: a.shares[0]!.keyId, ageRecipient: node4 }, // node-1
        { keyId: locked.shares[0]!.keyId, ageRecipient: node4 }, // exportable: false
        { keyId: b.shares[0]!.keyId, ageRecipient: node4 }, // node-2
        { keyId: missingKeyId, ageRecipient: node4 }, // no such share
        { keyId: a.shares[2]!.keyId, ageRecipient: node4 }, // node-3: another share of key a
        { keyId: b.shares[1]!.keyId, ageRecipient: node4 }, // node-3
      ],
    })
    .promise();
  assert.deepEqual(codes(exported.results), ['ok', 'NOT_EXPORTABLE', 'ok', 'NOT_FOUND', 'ok', 'ok']);
  assert.deepEqual(
    exported.results.map((r) => r.keyId),
    [a.shares[0]!.keyId, locked.shares[0]!.keyId, b.shares[0]!.keyId, missingKeyId, a.shares[2]!.keyId, b.shares[1]!.keyId],
  );
  assert.deepEqual(
    exported.results.map((r) => r.nodeId),
    ['node-1', undefined, 'node-2', undefined, 'node-3', 'node-3'],
  );
  const [wa0, , wb0, , wa2, wb1] = exported.results.map((r) => r.wrappedKeyShare);
  assert.match(wa0!, /^-----BEGIN AGE ENCRYPTED FILE-----/);

  const imported = await net.client
    .call(ComponentModule.IMPORT_KEY_SHARES, {
      items: [
        { wrappedKeyShare: wa0!, nodeId: 'node-4' },
        { wrappedKeyShare: wb1!, nodeId: 'node-1' }, // wrapped to node-4: node-1 cannot open it
        { wrappedKeyShare: wa2!, nodeId: 'node-4' }, // node-4 now holds another share of key a: one node never holds two
        { wrappedKeyShare: wb0!.replace('-----BEGIN AGE ENCRYPTED FILE-----\n', '-----BEGIN AGE ENCRYPTED FILE-----\nAAAA'), nodeId: 'node-4' },
        { wrappedKeyShare: wb0!, nodeId: 'node-4' },
      ],
    })
    .promise();
  const got = codes(imported.results);
  assert.equal(got[0], 'ok');
  assert.equal(got[1], 'NO_IDENTITY_MATCH');
  assert.equal(got[2], 'CONFLICT');
  assert.ok(got[3] !== 'ok' && got[3] !== undefined, `a corrupt file fails on its own (${got[3]})`);
  assert.equal(got[4], 'ok');
  const [ia0, , , , ib0] = imported.results;
  assert.equal(ia0!.nodeId, 'node-4');
  assert.equal(ia0!.publicKey, a.publicKey);
  assert.equal(ia0!.alreadyPresent, false);
  assert.equal(ib0!.publicKey, b.publicKey);

  // What landed is whole: the moved share signs with another share of its key.
  for (const [moved, other, key] of [
    [ia0!.keyId!, a.shares[1]!.keyId, a],
    [ib0!.keyId!, b.shares[1]!.keyId, b],
  ] as const) {
    const signed = await net.client.call(ComponentModule.SIGN, { keyIds: [moved, other], message: 'c0ffee' }).promise();
    assert.equal(signed.publicKey, key.publicKey);
  }
  // Only those two are new on node-4.
  const { keys } = await net.client.call(ComponentModule.LIST_KEYS, { nodeId: 'node-4' }).promise();
  assert.deepEqual(keys.map((k) => k.keyId).sort(), [ia0!.keyId, ib0!.keyId].sort());

  // The same files again: the same keyIds, alreadyPresent.
  const again = await net.client.call(ComponentModule.IMPORT_KEY_SHARES, { items: [{ wrappedKeyShare: wa0!, nodeId: 'node-4' }] }).promise();
  assert.deepEqual(codes(again.results), ['ok']);
  assert.equal(again.results[0]!.keyId, ia0!.keyId);
  assert.equal(again.results[0]!.alreadyPresent, true);
});

test('hostile batches: too many items, repeated items, unknown nodes: refused with stable codes, nothing done', async () => {
  const item = { keyId: a.shares[1]!.keyId, ageRecipient: node4 };
  const tooMany = { items: Array.from({ length: LIMITS.batchItems + 1 }, () => item) };
  const r1 = await rawCall(net.baseUrl, 'EXPORT_KEY_SHARES', tooMany, signed(net.apiKey, 'EXPORT_KEY_SHARES', tooMany));
  assert.equal(r1.json.error?.code, 'INVALID_ARGUMENT', r1.text);
  const empty = { items: [] };
  const r2 = await rawCall(net.baseUrl, 'IMPORT_KEY_SHARES', empty, signed(net.apiKey, 'IMPORT_KEY_SHARES', empty));
  assert.equal(r2.json.error?.code, 'INVALID_ARGUMENT', r2.text);

  await assert.rejects(
    net.client.call(ComponentModule.EXPORT_KEY_SHARES, { items: [item, { ...item, ageRecipient: [node4] }] }).promise(),
    (err: { code?: string }) => {
      assert.equal(err.code, 'INVALID_ARGUMENT');
      return true;
    },
  );
  await assert.rejects(
    net.client
      .call(ComponentModule.IMPORT_KEY_SHARES, {
        items: [
          { wrappedKeyShare: 'x', nodeId: 'node-4' },
          { wrappedKeyShare: 'x', nodeId: 'node-3' },
        ],
      })
      .promise(),
    (err: { code?: string }) => {
      assert.equal(err.code, 'INVALID_ARGUMENT');
      return true;
    },
  );
  const unknownNode = await net.client.call(ComponentModule.IMPORT_KEY_SHARES, { items: [{ wrappedKeyShare: 'x', nodeId: 'node-9' }] }).promise();
  assert.deepEqual(codes(unknownNode.results), ['NOT_FOUND']);
});

test('a relay can pick which items of a signed batch a node does, never change them or do one twice', async () => {
  const admin = new ApiKey(net.apiKey);
  const params = {
    items: [
      { keyId: a.shares[1]!.keyId, ageRecipient: node4 }, // node-2
      { keyId: b.shares[1]!.keyId, ageRecipient: node4 }, // node-3
    ],
  };
  const auth = admin.sign('EXPORT_KEY_SHARES', JSON.stringify(params), `idem-${Math.random()}`);
  const path = '/v1/shares/export-batch';
  // An index the signed call does not have; the same index twice.
  assert.equal((await asRelay(net, 'node-2', path, { auth, items: [2] })).json.error?.code, 'INVALID_ARGUMENT');
  assert.equal((await asRelay(net, 'node-2', path, { auth, items: [0, 0] })).json.error?.code, 'INVALID_ARGUMENT');
  // Item 1 is node-3's: node-2 answers it NOT_FOUND and item 0 with the share.
  const first = await asRelay(net, 'node-2', path, { auth, items: [0, 1] });
  const results = first.json['results'] as { index: number; wrappedKeyShare?: string; error?: { code: string } }[];
  assert.deepEqual(
    results.map((r) => r.error?.code ?? 'ok'),
    ['ok', 'NOT_FOUND'],
  );
  // The same signed batch again: its item 0 was done on node-2 once, and is not done again.
  const replay = await asRelay(net, 'node-2', path, { auth, items: [0] });
  assert.deepEqual(
    (replay.json['results'] as { error?: { code: string } }[]).map((r) => r.error?.code),
    ['REPLAYED'],
  );
  // A batch signed for other items cannot be used for a single export, nor the other way round.
  const single = await asRelay(net, 'node-2', `/v1/shares/${a.shares[1]!.keyId}/export`, { auth });
  assert.equal(single.json.error?.code, 'PERMISSION_DENIED');
});

test('a policy that holds EXPORT_KEY_SHARE for approvals holds EXPORT_KEY_SHARES too, at the workspace and at the node', async () => {
  const admin = new ApiKey(net.apiKey);
  await net.client.call(ComponentModule.SET_POLICY, { approvals: [{ component: 'EXPORT_KEY_SHARE', approvals: 1 }] }).promise();
  try {
    const params = { items: [{ keyId: a.shares[1]!.keyId, ageRecipient: node4 }] };
    await assert.rejects(net.client.call(ComponentModule.EXPORT_KEY_SHARES, params).promise(), (err: { code?: string }) => {
      assert.equal(err.code, 'APPROVAL_REQUIRED');
      return true;
    });
    const auth = admin.sign('EXPORT_KEY_SHARES', JSON.stringify(params), `idem-${Math.random()}`);
    const atNode = await asRelay(net, 'node-2', '/v1/shares/export-batch', { auth, items: [0] });
    assert.equal(atNode.json.error?.code, 'APPROVAL_REQUIRED');
  } finally {
    await net.client.call(ComponentModule.SET_POLICY, { approvals: [] }).promise();
  }
});
