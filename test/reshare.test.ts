/**
 * RESHARE_KEY on the real network (issue 12): a quorum of the old holders deals
 * Lagrange-weighted sub-shares to the new holders, who check them against the
 * dealers' commitments; the key moves to other nodes and/or another threshold
 * with the same group key, the old shares are retired and their wrapped copies
 * refused (SHARE_STALE). Nodes check the caller's signed call, the roster and
 * the package themselves; a failure midway leaves the old shares signing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKey, ComponentModule, WorkspaceClient, generateApiKey } from 'caller-sdk';
import { getScheme, type SchemeName } from '@wr/crypto';
import { fromHex } from '@wr/common';
import { startTestNetwork, workspaceTls, type TestNetwork } from '@wr/cli/test-network';
import { asRelay as relay } from './support/raw.js';
import { PausingProxy } from './support/crash-proxy.js';

let net: TestNetwork;
let admin: ApiKey;

before(async () => {
  net = await startTestNetwork('reshare', { nodeCount: 5 });
  admin = new ApiKey(net.apiKey);
});
after(async () => {
  await net?.cleanup();
});

type Json = Record<string, unknown> & { error?: { code: string; message: string } };

const asRelay = (nodeId: string, path: string, body?: unknown) => relay(net, nodeId, path, body);
const refused = (r: { status: number; json: Json }, code: string, what: string) => {
  assert.ok(r.status >= 400, `${what}: the node did it`);
  assert.equal(r.json.error?.code, code, `${what}: ${r.json.error?.message}`);
};
const session = () => 'ses_' + Array.from({ length: 26 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)]).join('');

const createKey = (scheme: SchemeName, nodeIds = ['node-1', 'node-2', 'node-3']) =>
  net.client.call(ComponentModule.CREATE_KEY, { scheme, threshold: 2, nodeIds }).promise();

async function signs(scheme: SchemeName, publicKey: string, keyIds: string[]): Promise<void> {
  const message = Buffer.from(`after reshare ${Math.random()}`).toString('hex');
  const r = await net.client.call(ComponentModule.SIGN, { keyIds, message }).promise();
  assert.equal(r.publicKey, publicKey);
  assert.equal(getScheme(scheme).verify(fromHex(r.signature, 'signature'), fromHex(message, 'message'), fromHex(publicKey, 'publicKey')), true);
}
/** A client that does not retry: a refusal comes back at once. */
const once = () => new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, maxRetries: 0, adminPublicKey: net.adminPublicKey });
const recipientOf = async (nodeId: string) => (await net.client.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId }).promise()).recipientKey;

for (const scheme of ['frost-ed25519', 'frost-secp256k1', 'frost-secp256k1-tr'] as const) {
  test(`${scheme}: 2-of-3 on nodes 1-3 to 3-of-3 on nodes 2-4: same key, the new set signs, node-1's share is retired and its copies refused`, async () => {
    const c = net.client;
    const key = await createKey(scheme);
    const oldFor1 = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: await recipientOf('node-1') }).promise();
    const oldFor2 = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[1]!.keyId, ageRecipient: await recipientOf('node-2') }).promise();
    const oldFor5 = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[2]!.keyId, ageRecipient: await recipientOf('node-5') }).promise();

    const started = Date.now();
    const params = { publicKey: key.publicKey, threshold: 3, nodeIds: ['node-2', 'node-3', 'node-4'] };
    const r = await c.call(ComponentModule.RESHARE_KEY, params, { idempotencyKey: `reshare-${scheme}` }).promise();
    const took = Date.now() - started;
    assert.equal(r.publicKey, key.publicKey);
    assert.equal(r.epoch, 1);
    assert.deepEqual(
      r.shares.map((s) => s.nodeId),
      ['node-2', 'node-3', 'node-4'],
    );
    // The staying holders keep their key id and identifier; node-4 has a new share with an identifier of its own.
    assert.deepEqual(
      r.shares.slice(0, 2).map((s) => [s.keyId, s.identifier]),
      key.shares.slice(1).map((s) => [s.keyId, s.identifier]),
    );
    assert.ok(!key.shares.some((s) => s.identifier === r.shares[2]!.identifier));
    for (const s of r.shares) {
      const info = await c.call(ComponentModule.GET_KEY, { keyId: s.keyId }).promise();
      assert.deepEqual([info.epoch, info.threshold, info.maxSigners, info.publicKey], [1, 3, 3, key.publicKey]);
    }
    // The same idempotency key replays the result.
    assert.deepEqual(await c.call(ComponentModule.RESHARE_KEY, params, { idempotencyKey: `reshare-${scheme}` }).promise(), r);

    // The new set signs under the same group key; two of them no longer make a quorum.
    await signs(
      scheme,
      key.publicKey,
      r.shares.map((s) => s.keyId),
    );
    await assert.rejects(
      once()
        .call(ComponentModule.SIGN, { keyIds: [r.shares[0]!.keyId, r.shares[1]!.keyId], message: 'aa' })
        .promise(),
    );
    // node-1's share is gone, and its old wrapped copy, or node-2's, is refused.
    await assert.rejects(c.call(ComponentModule.GET_KEY, { keyId: key.shares[0]!.keyId }).promise(), { code: 'NOT_FOUND' });
    assert.equal((await asRelay('node-1', `/v1/shares/${key.shares[0]!.keyId}`)).status, 404);
    await assert.rejects(c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: oldFor1.wrappedKeyShare, nodeId: 'node-1' }).promise(), {
      code: 'SHARE_STALE',
    });
    await assert.rejects(c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: oldFor2.wrappedKeyShare, nodeId: 'node-2' }).promise(), {
      code: 'SHARE_STALE',
    });
    // node-5 took no part: it learned of the reshare, and refuses an old copy too.
    await assert.rejects(c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: oldFor5.wrappedKeyShare, nodeId: 'node-5' }).promise(), {
      code: 'SHARE_STALE',
    });

    // The workspace's log and each node's own log record it.
    const { events } = await c.call(ComponentModule.LIST_AUDIT_EVENTS, {}).promise();
    const e = events.find((x) => x.action === 'key.reshare' && x.details['publicKey'] === key.publicKey);
    assert.equal(e?.actor, c.apiKeyId);
    assert.deepEqual(e?.details['retired'], ['node-1']);
    for (const [nodeId, action] of [
      ['node-1', 'key.reshare-retire'],
      ['node-2', 'key.reshare'],
      ['node-4', 'key.reshare'],
    ] as const) {
      const log = (await c.call(ComponentModule.LIST_AUDIT_EVENTS, { nodeId }).promise()).events;
      assert.ok(
        log.some((x) => x.action === action && x.details['publicKey'] === key.publicKey && x.actor === c.apiKeyId),
        `${nodeId} logged ${action}`,
      );
    }
    assert.ok(took < 15_000, `a reshare took ${took} ms`);
    console.log(`# RESHARE_KEY of a 2-of-3 ${scheme} key to 3-of-3 on other nodes: ${took} ms`);
  });
}

test('a threshold change on the same nodes: 2-of-3 to 3-of-3 and back to 2-of-3', async () => {
  const key = await createKey('frost-ed25519');
  const nodeIds = ['node-1', 'node-2', 'node-3'];
  const up = await net.client.call(ComponentModule.RESHARE_KEY, { publicKey: key.publicKey, threshold: 3, nodeIds }).promise();
  assert.equal(up.epoch, 1);
  await signs(
    'frost-ed25519',
    key.publicKey,
    up.shares.map((s) => s.keyId),
  );
  await assert.rejects(
    once()
      .call(ComponentModule.SIGN, { keyIds: [up.shares[0]!.keyId, up.shares[1]!.keyId], message: 'aa' })
      .promise(),
  );
  const down = await net.client.call(ComponentModule.RESHARE_KEY, { publicKey: key.publicKey, threshold: 2, nodeIds }).promise();
  assert.equal(down.epoch, 2);
  await signs('frost-ed25519', key.publicKey, [down.shares[0]!.keyId, down.shares[2]!.keyId]);
});

test('nodes refuse a reshare signed without the scope, to a node outside the roster, or to other nodes than signed', async () => {
  const key = await createKey('frost-ed25519');
  const params = { publicKey: key.publicKey, threshold: 2, nodeIds: ['node-2', 'node-3', 'node-4'] };
  const found = (await asRelay('node-1', `/v1/keys/${key.publicKey}/share`)).json;
  const publicPackage = found['publicPackage'] as string;
  const dealers = key.shares.slice(0, 2).map((s) => ({ nodeId: s.nodeId, identifier: s.identifier }));
  const holders = [...key.shares.slice(1).map((s) => ({ nodeId: s.nodeId, identifier: s.identifier })), { nodeId: 'node-4', identifier: 'ff'.repeat(1) }];
  const reader = generateApiKey();
  await net.client.call(ComponentModule.CREATE_API_KEY, { name: 'reader', scopes: ['keys:read'], publicKey: reader.publicKey }).promise();
  const asReader = new WorkspaceClient({ apiKey: reader.apiKey, baseUrl: net.baseUrl });
  await assert.rejects(asReader.call(ComponentModule.RESHARE_KEY, params).promise(), { code: 'PERMISSION_DENIED' });
  const readerKey = new ApiKey(reader.apiKey);
  for (const nodeId of ['node-1', 'node-4']) {
    const auth = readerKey.sign('RESHARE_KEY', JSON.stringify(params), `idem-${Math.random()}`);
    refused(await asRelay(nodeId, '/v1/reshare/round1', { sessionId: session(), publicPackage, dealers, holders, auth }), 'PERMISSION_DENIED', nodeId);
  }
  // The admin signed a reshare to node-9, which no roster names: every node refuses it.
  const outside = { ...params, nodeIds: ['node-2', 'node-3', 'node-9'] };
  const to9 = holders.map((h, i) => (i === 2 ? { ...h, nodeId: 'node-9' } : h));
  for (const nodeId of ['node-1', 'node-2']) {
    const auth = admin.sign('RESHARE_KEY', JSON.stringify(outside), `idem-${Math.random()}`);
    refused(await asRelay(nodeId, '/v1/reshare/round1', { sessionId: session(), publicPackage, dealers, holders: to9, auth }), 'PERMISSION_DENIED', nodeId);
  }
  await assert.rejects(net.client.call(ComponentModule.RESHARE_KEY, outside).promise());
  // The admin signed nodes 2-4; the relay names node-5 instead.
  const to5 = holders.map((h, i) => (i === 2 ? { ...h, nodeId: 'node-5' } : h));
  const auth = admin.sign('RESHARE_KEY', JSON.stringify(params), `idem-${Math.random()}`);
  refused(await asRelay('node-1', '/v1/reshare/round1', { sessionId: session(), publicPackage, dealers, holders: to5, auth }), 'PERMISSION_DENIED', 'node-5');
  // Nothing moved: the old shares sign.
  for (const s of key.shares) assert.equal((await net.client.call(ComponentModule.GET_KEY, { keyId: s.keyId }).promise()).epoch, 0);
  await signs('frost-ed25519', key.publicKey, [key.shares[0]!.keyId, key.shares[1]!.keyId]);
});

/** Points the workspace at `url` for `nodeId` (a proxy, or the node again). */
async function routeWorkspace(nodeId: string, url: string): Promise<void> {
  const configFile = join(net.dir, 'workspace', 'config.json');
  await net.killWorkspace();
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as { nodes: { nodeId: string; url: string }[] };
  config.nodes.find((n) => n.nodeId === nodeId)!.url = url;
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  await net.startWorkspace();
}

test('a new holder lost midway (its round 2, or its answer): the reshare aborts, nothing is retired or half made, the old shares sign', async () => {
  const proxy = await PausingProxy.start(net.nodes.get('node-4')!.url, workspaceTls(net.dir));
  try {
    await routeWorkspace('node-4', proxy.url);
    const key = await createKey('frost-ed25519');
    const params = { publicKey: key.publicKey, threshold: 2, nodeIds: ['node-2', 'node-3', 'node-4'] };
    for (const point of ['before', 'after'] as const) {
      const lost = proxy.hold(/^\/v1\/reshare\/round2$/, point);
      const failed = once().call(ComponentModule.RESHARE_KEY, params).promise();
      (await lost).drop();
      await assert.rejects(failed, { code: 'NODE_UNAVAILABLE' }, point);
      for (const s of key.shares) assert.equal((await net.client.call(ComponentModule.GET_KEY, { keyId: s.keyId }).promise()).epoch, 0, point);
      await signs('frost-ed25519', key.publicKey, [key.shares[0]!.keyId, key.shares[2]!.keyId]);
      refused(await asRelay('node-4', `/v1/keys/${key.publicKey}/share`), 'NOT_FOUND', `${point}: node-4 holds no half-made share`);
    }
    assert.ok(proxy.seen.includes('/v1/reshare/abort'), 'the workspace aborted on node-4 too');
    // Afterwards the reshare goes through.
    const r = await net.client.call(ComponentModule.RESHARE_KEY, params).promise();
    await signs('frost-ed25519', key.publicKey, [r.shares[0]!.keyId, r.shares[2]!.keyId]);
  } finally {
    proxy.clearHolds();
    await routeWorkspace('node-4', net.nodes.get('node-4')!.url);
    await proxy.close();
  }
});

test('REPAIR_KEY_SHARE: a deleted share is rebuilt on a fresh node from two helpers, signs, and is refused where it would break the rules', async () => {
  const c = net.client;
  const key = await createKey('frost-secp256k1');
  const lost = key.shares[0]!;
  assert.equal((await c.call(ComponentModule.DELETE_KEY_SHARE, { keyId: lost.keyId }).promise()).deleted, true);
  // Not onto a node that holds a share of the key, nor a participant that is not lost.
  await assert.rejects(once().call(ComponentModule.REPAIR_KEY_SHARE, { publicKey: key.publicKey, identifier: lost.identifier, nodeId: 'node-2' }).promise(), {
    code: 'CONFLICT',
  });
  await assert.rejects(
    once().call(ComponentModule.REPAIR_KEY_SHARE, { publicKey: key.publicKey, identifier: key.shares[1]!.identifier, nodeId: 'node-5' }).promise(),
    { code: 'CONFLICT' },
  );
  const r = await c.call(ComponentModule.REPAIR_KEY_SHARE, { publicKey: key.publicKey, identifier: lost.identifier, nodeId: 'node-5' }).promise();
  assert.equal(r.nodeId, 'node-5');
  assert.equal(r.identifier, lost.identifier);
  assert.equal(r.receipt?.nodeId, 'node-5');
  const info = await c.call(ComponentModule.GET_KEY, { keyId: r.keyId }).promise();
  assert.deepEqual([info.publicKey, info.epoch, info.threshold], [key.publicKey, 0, 2]);
  await signs('frost-secp256k1', key.publicKey, [r.keyId, key.shares[2]!.keyId]);
  // Held again (on node-5), it is not lost: a second repair is refused. A caller without the scope is refused by every node.
  await assert.rejects(once().call(ComponentModule.REPAIR_KEY_SHARE, { publicKey: key.publicKey, identifier: lost.identifier, nodeId: 'node-1' }).promise(), {
    code: 'CONFLICT',
  });
  const reader = generateApiKey();
  await c.call(ComponentModule.CREATE_API_KEY, { name: 'repair-reader', scopes: ['keys:read'], publicKey: reader.publicKey }).promise();
  const params = { publicKey: key.publicKey, identifier: lost.identifier, nodeId: 'node-4' };
  const auth = new ApiKey(reader.apiKey).sign('REPAIR_KEY_SHARE', JSON.stringify(params), `idem-${Math.random()}`);
  const publicPackage = (await asRelay('node-2', `/v1/keys/${key.publicKey}/share`)).json['publicPackage'];
  const helpers = key.shares.slice(1).map((s) => ({ nodeId: s.nodeId, identifier: s.identifier }));
  for (const nodeId of ['node-2', 'node-4'])
    refused(
      await asRelay(nodeId, '/v1/repair/round1', {
        sessionId: session(),
        publicPackage,
        helpers,
        participant: { nodeId: 'node-4', identifier: lost.identifier },
        auth,
      }),
      'PERMISSION_DENIED',
      nodeId,
    );
  // Logged on the workspace and on the node that got it.
  const { events } = await c.call(ComponentModule.LIST_AUDIT_EVENTS, {}).promise();
  assert.ok(events.some((e) => e.action === 'key.repair' && e.details['keyId'] === r.keyId));
  const log = (await c.call(ComponentModule.LIST_AUDIT_EVENTS, { nodeId: 'node-5' }).promise()).events;
  assert.ok(log.some((e) => e.action === 'key.repair' && e.details['keyId'] === r.keyId && e.actor === c.apiKeyId));
});

test('REPAIR_KEY_SHARE after a reshare: the lost share of the new epoch is rebuilt, and the new set signs with it', async () => {
  const key = await createKey('frost-ed25519');
  const r = await net.client.call(ComponentModule.RESHARE_KEY, { publicKey: key.publicKey, threshold: 2, nodeIds: ['node-2', 'node-3', 'node-4'] }).promise();
  const lost = r.shares[2]!;
  await net.client.call(ComponentModule.DELETE_KEY_SHARE, { keyId: lost.keyId }).promise();
  // node-4 deleted it at this epoch: its tombstone refuses it back.
  await assert.rejects(once().call(ComponentModule.REPAIR_KEY_SHARE, { publicKey: key.publicKey, identifier: lost.identifier, nodeId: 'node-4' }).promise(), {
    code: 'SHARE_RETIRED',
  });
  const repaired = await net.client
    .call(ComponentModule.REPAIR_KEY_SHARE, { publicKey: key.publicKey, identifier: lost.identifier, nodeId: 'node-5' })
    .promise();
  assert.equal((await net.client.call(ComponentModule.GET_KEY, { keyId: repaired.keyId }).promise()).epoch, 1);
  await signs('frost-ed25519', key.publicKey, [repaired.keyId, r.shares[0]!.keyId]);
});

test('frost-secp256k1-tr: a deleted share repaired on a spare node signs with the others (every scheme is repaired end to end)', async () => {
  const key = await createKey('frost-secp256k1-tr');
  const lost = key.shares[1]!;
  await net.client.call(ComponentModule.DELETE_KEY_SHARE, { keyId: lost.keyId }).promise();
  const repaired = await net.client
    .call(ComponentModule.REPAIR_KEY_SHARE, { publicKey: key.publicKey, identifier: lost.identifier, nodeId: 'node-5' })
    .promise();
  assert.equal(repaired.identifier, lost.identifier);
  await signs('frost-secp256k1-tr', key.publicKey, [repaired.keyId, key.shares[0]!.keyId]);
  await signs('frost-secp256k1-tr', key.publicKey, [key.shares[2]!.keyId, repaired.keyId]);
});

test("a leaving holder's commit lost after every new holder confirmed: the call fails as retryable, the sweep retires it, a retry answers", async () => {
  const proxy = await PausingProxy.start(net.nodes.get('node-1')!.url, workspaceTls(net.dir));
  try {
    await routeWorkspace('node-1', proxy.url);
    const key = await createKey('frost-ed25519');
    const params = { publicKey: key.publicKey, threshold: 2, nodeIds: ['node-2', 'node-3', 'node-4'] };
    const lost = proxy.hold(/^\/v1\/reshare\/commit$/, 'before');
    const first = once().call(ComponentModule.RESHARE_KEY, params, { idempotencyKey: 'reshare-midway' }).promise();
    (await lost).drop();
    await assert.rejects(first, { code: 'NODE_UNAVAILABLE' });
    // The new holders committed; node-1 still holds its old share until the sweep retires it.
    const until = Date.now() + 10_000;
    while ((await asRelay('node-1', `/v1/shares/${key.shares[0]!.keyId}`)).status === 200 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    assert.equal((await asRelay('node-1', `/v1/shares/${key.shares[0]!.keyId}`)).status, 404, 'the sweep retired node-1');
    const retried = await net.client.call(ComponentModule.RESHARE_KEY, params, { idempotencyKey: 'reshare-midway' }).promise();
    assert.equal(retried.epoch, 1);
    await signs('frost-ed25519', key.publicKey, [retried.shares[0]!.keyId, retried.shares[2]!.keyId]);
  } finally {
    proxy.clearHolds();
    await routeWorkspace('node-1', net.nodes.get('node-1')!.url);
    await proxy.close();
  }
});

test('a key with a lost share is reshared by a quorum of the rest; the lost participant stays retired', async () => {
  const key = await createKey('frost-ed25519');
  await net.client.call(ComponentModule.DELETE_KEY_SHARE, { keyId: key.shares[0]!.keyId }).promise();
  const r = await net.client.call(ComponentModule.RESHARE_KEY, { publicKey: key.publicKey, threshold: 2, nodeIds: ['node-2', 'node-3', 'node-5'] }).promise();
  assert.equal(r.epoch, 1);
  await signs('frost-ed25519', key.publicKey, [r.shares[0]!.keyId, r.shares[2]!.keyId]);
  // Fewer shares than the threshold left: refused, nothing changed.
  const small = await createKey('frost-ed25519');
  for (const s of small.shares.slice(0, 2)) await net.client.call(ComponentModule.DELETE_KEY_SHARE, { keyId: s.keyId }).promise();
  await assert.rejects(
    once()
      .call(ComponentModule.RESHARE_KEY, { publicKey: small.publicKey, threshold: 2, nodeIds: ['node-3', 'node-4'] })
      .promise(),
    { code: 'CONFLICT' },
  );
});
