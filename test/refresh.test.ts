/**
 * REFRESH_KEY on the real network (issue 12): every holder adds a fresh sharing
 * of zero, the group key stays, the epoch goes up, the new shares sign, and
 * every wrapped copy made before is refused at import (SHARE_STALE). Nodes check
 * the caller's signed call and the peers themselves; a refresh is staged on disk
 * and swapped in only with every holder's signed confirmation.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKey, ComponentModule, WorkspaceClient, generateApiKey, type ComponentResult } from 'caller-sdk';
import { getScheme, type SchemeName } from '@wr/crypto';
import { fromHex } from '@wr/common';
import { startTestNetwork, workspaceTls, type TestNetwork } from '@wr/cli/test-network';
import { asRelay as relay } from './support/raw.js';
import { PausingProxy } from './support/crash-proxy.js';

let net: TestNetwork;
let admin: ApiKey;

before(async () => {
  net = await startTestNetwork('refresh');
  admin = new ApiKey(net.apiKey);
});
after(async () => {
  await net?.cleanup();
});

type Json = Record<string, unknown> & { error?: { code: string; message: string } };

const asRelay = (nodeId: string, path: string, body?: unknown) => relay(net, nodeId, path, body);

const ok = (r: { status: number; json: Json }, what: string) => {
  assert.equal(r.status, 200, `${what}: ${JSON.stringify(r.json.error)}`);
  return r.json;
};
const refused = (r: { status: number; json: Json }, code: string, what: string) => {
  assert.ok(r.status >= 400, `${what}: the node did it`);
  assert.equal(r.json.error?.code, code, `${what}: ${r.json.error?.message}`);
};

const createKey = (scheme: SchemeName) =>
  net.client.call(ComponentModule.CREATE_KEY, { scheme, threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();

async function signs(scheme: SchemeName, publicKey: string, keyIds: string[]): Promise<void> {
  const message = Buffer.from(`after refresh ${Math.random()}`).toString('hex');
  const r = await net.client.call(ComponentModule.SIGN, { keyIds, message }).promise();
  assert.equal(r.publicKey, publicKey);
  assert.equal(getScheme(scheme).verify(fromHex(r.signature, 'signature'), fromHex(message, 'message'), fromHex(publicKey, 'publicKey')), true);
}

const epochOf = async (nodeId: string, keyId: string) => ok(await asRelay(nodeId, `/v1/shares/${keyId}`), 'getShare')['epoch'];
const session = () => 'ses_' + Array.from({ length: 26 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)]).join('');

test('REFRESH_KEY keeps the group key, bumps the epoch, signs, refuses old wrapped copies (SHARE_STALE), and is audited', async () => {
  const c = net.client;
  const key = await createKey('frost-ed25519');
  const node4 = (await c.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-4' }).promise()).recipientKey;
  const node1 = (await c.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-1' }).promise()).recipientKey;
  const oldFor4 = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: node4 }).promise();
  const oldFor1 = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[1]!.keyId, ageRecipient: node1 }).promise();

  const started = Date.now();
  const r = await c.call(ComponentModule.REFRESH_KEY, { publicKey: key.publicKey }, { idempotencyKey: 'refresh-once' }).promise();
  const took = Date.now() - started;
  assert.equal(r.publicKey, key.publicKey);
  assert.equal(r.epoch, 1);
  const strip = (s: { nodeId: string; keyId: string; identifier: string }[]) =>
    s.map(({ nodeId, keyId, identifier }) => ({ nodeId, keyId, identifier })).sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  assert.deepEqual(strip(r.shares), strip(key.shares));
  // Each holder's receipt for its new epoch (the client checked them against the roster before answering).
  assert.deepEqual(
    r.shares.map((s) => s.receipt?.nodeId),
    r.shares.map((s) => s.nodeId),
  );
  for (const s of r.shares) assert.equal(await epochOf(s.nodeId, s.keyId), 1);
  assert.equal((await c.call(ComponentModule.GET_KEY, { keyId: r.shares[0]!.keyId }).promise()).epoch, 1);
  // The same idempotency key replays the result; it does not refresh again.
  assert.deepEqual(await c.call(ComponentModule.REFRESH_KEY, { publicKey: key.publicKey }, { idempotencyKey: 'refresh-once' }).promise(), r);
  assert.equal(await epochOf('node-1', key.shares[0]!.keyId), 1);

  // Any two of the new shares sign under the same group key.
  await signs('frost-ed25519', key.publicKey, [key.shares[0]!.keyId, key.shares[1]!.keyId]);
  await signs('frost-ed25519', key.publicKey, [key.shares[1]!.keyId, key.shares[2]!.keyId]);

  // The copies exported before are refused: on a node with no share of the key, and on a holder.
  await assert.rejects(c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: oldFor4.wrappedKeyShare, nodeId: 'node-4' }).promise(), {
    code: 'SHARE_STALE',
  });
  await assert.rejects(c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: oldFor1.wrappedKeyShare, nodeId: 'node-1' }).promise(), {
    code: 'SHARE_STALE',
  });

  // A second refresh goes to epoch 2 and still signs.
  const r2 = await c.call(ComponentModule.REFRESH_KEY, { publicKey: key.publicKey }).promise();
  assert.equal(r2.epoch, 2);
  await signs('frost-ed25519', key.publicKey, [key.shares[2]!.keyId, key.shares[0]!.keyId]);

  // The workspace's log and each holder's own log record both refreshes.
  const { events } = await c.call(ComponentModule.LIST_AUDIT_EVENTS, {}).promise();
  const refreshes = events.filter((e) => e.action === 'key.refresh' && e.details['publicKey'] === key.publicKey);
  assert.deepEqual(
    refreshes.map((e) => e.details['epoch']),
    [1, 2],
  );
  assert.equal(refreshes[0]!.actor, c.apiKeyId);
  for (const nodeId of ['node-1', 'node-2', 'node-3']) {
    const log = (await c.call(ComponentModule.LIST_AUDIT_EVENTS, { nodeId }).promise()).events.filter(
      (e) => e.action === 'key.refresh' && e.details['publicKey'] === key.publicKey,
    );
    assert.deepEqual(
      log.map((e) => [e.actor, e.details['epoch']]),
      [
        [c.apiKeyId, 1],
        [c.apiKeyId, 2],
      ],
      nodeId,
    );
  }
  assert.ok(took < 10_000, `a refresh of a 2-of-3 key took ${took} ms`);
  console.log(`# REFRESH_KEY of a 2-of-3 frost-ed25519 key: ${took} ms`);
});

for (const scheme of ['frost-secp256k1', 'frost-secp256k1-tr'] as const) {
  test(`${scheme}: refresh, then sign under the same key; the old wrapped copy is refused`, async () => {
    const key = await createKey(scheme);
    const node4 = (await net.client.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-4' }).promise()).recipientKey;
    const old = await net.client.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[2]!.keyId, ageRecipient: node4 }).promise();
    const r = await net.client.call(ComponentModule.REFRESH_KEY, { publicKey: key.publicKey }).promise();
    assert.equal(r.epoch, 1);
    await signs(scheme, key.publicKey, [key.shares[0]!.keyId, key.shares[2]!.keyId]);
    await assert.rejects(net.client.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: old.wrappedKeyShare, nodeId: 'node-4' }).promise(), {
      code: 'SHARE_STALE',
    });
  });
}

test('two nodes hold the same share after a migration: the imported copy is refreshed, the one left behind is retired and the result says so', async () => {
  const c = net.client;
  const key = await createKey('frost-ed25519');
  const source = key.shares[0]!;
  const node4 = (await c.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-4' }).promise()).recipientKey;
  const moved = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: source.keyId, ageRecipient: node4 }).promise();
  const node1 = (await c.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-1' }).promise()).recipientKey;
  const kept = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: source.keyId, ageRecipient: node1 }).promise();
  // The seed's migration: node-4 imports node-1's share, and node-1 keeps its copy.
  const copy = await c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: moved.wrappedKeyShare, nodeId: 'node-4' }).promise();
  assert.equal(copy.identifier, source.identifier);

  const r = await c.call(ComponentModule.REFRESH_KEY, { publicKey: key.publicKey }, { idempotencyKey: 'refresh-duplicate' }).promise();
  assert.equal(r.epoch, 1);
  assert.deepEqual(r.retired, [{ nodeId: 'node-1', keyId: source.keyId }]);
  assert.deepEqual(
    r.shares.map((s) => [s.nodeId, s.keyId]).sort(),
    [
      ['node-2', key.shares[1]!.keyId],
      ['node-3', key.shares[2]!.keyId],
      ['node-4', copy.keyId],
    ].sort(),
  );
  assert.deepEqual(await c.call(ComponentModule.REFRESH_KEY, { publicKey: key.publicKey }, { idempotencyKey: 'refresh-duplicate' }).promise(), r);
  // The copy left behind is gone from node-1 (and from its log's account), the moved one signs at the new epoch.
  refused(await asRelay('node-1', `/v1/keys/${key.publicKey}/share`), 'NOT_FOUND', 'node-1 still holds the copy left behind');
  assert.equal(await epochOf('node-4', copy.keyId), 1);
  await signs('frost-ed25519', key.publicKey, [copy.keyId, key.shares[1]!.keyId]);
  await signs('frost-ed25519', key.publicKey, [copy.keyId, key.shares[2]!.keyId]);
  await assert.rejects(c.call(ComponentModule.SIGN, { keyIds: [source.keyId, key.shares[1]!.keyId], message: 'abcd' }).promise(), { code: 'NOT_FOUND' });
  // The copy cannot come back: a wrapped file of it is stale on node-1.
  await assert.rejects(c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: kept.wrappedKeyShare, nodeId: 'node-1' }).promise(), {
    code: 'SHARE_STALE',
  });
  const log = (await c.call(ComponentModule.LIST_AUDIT_EVENTS, { nodeId: 'node-1' }).promise()).events;
  assert.ok(log.some((e) => e.action === 'key.refresh-retire' && e.details['keyId'] === source.keyId && e.details['heldBy'] === 'node-4'));
  // A later refresh has no duplicate left, and retires nothing.
  const r2 = await c.call(ComponentModule.REFRESH_KEY, { publicKey: key.publicKey }).promise();
  assert.equal(r2.epoch, 2);
  assert.equal(r2.retired, undefined);
});

test('a network policy can hold REFRESH_KEY and RESHARE_KEY for approvals: every node refuses them alone, and runs them once approved', async () => {
  const c = net.client;
  const approvers = [generateApiKey(), generateApiKey()];
  for (const [i, k] of approvers.entries()) {
    await c.call(ComponentModule.CREATE_API_KEY, { name: `lifecycle-approver-${i}`, scopes: ['admin', 'keys:read'], publicKey: k.publicKey }).promise();
  }
  const key = await createKey('frost-ed25519');
  const participants = key.shares.map((s) => ({ nodeId: s.nodeId, identifier: s.identifier }));
  const publicPackage = ok(await asRelay('node-1', `/v1/keys/${key.publicKey}/share`), 'findShare')['publicPackage'];
  const refresh = { publicKey: key.publicKey };
  const reshare = { publicKey: key.publicKey, threshold: 2, nodeIds: ['node-2', 'node-3', 'node-4'] };
  const approve = async (component: 'REFRESH_KEY' | 'RESHARE_KEY', params: object) => {
    const pending = await c.call(ComponentModule.REQUEST_APPROVAL, { component, params }).promise();
    for (const k of approvers) {
      await new WorkspaceClient({ apiKey: k.apiKey, baseUrl: net.baseUrl })
        .call(ComponentModule.APPROVE_REQUEST, { approvalRequestId: pending.approvalRequestId })
        .promise();
    }
    const done = await c.call(ComponentModule.GET_APPROVAL_REQUEST, { approvalRequestId: pending.approvalRequestId }).promise();
    assert.equal(done.status, 'executed', `${component}: ${JSON.stringify(done.error)}`);
  };
  await c
    .call(ComponentModule.SET_POLICY, {
      approvals: [
        { component: 'REFRESH_KEY', approvals: 2 },
        { component: 'RESHARE_KEY', approvals: 2 },
      ],
    })
    .promise();
  try {
    // Alone, through the workspace or straight to a node (as a relay that ignores the policy would): refused, nothing changes.
    await assert.rejects(c.call(ComponentModule.REFRESH_KEY, refresh).promise(), { code: 'APPROVAL_REQUIRED' });
    await assert.rejects(c.call(ComponentModule.RESHARE_KEY, reshare).promise(), { code: 'APPROVAL_REQUIRED' });
    for (const s of key.shares) {
      const auth = admin.sign('REFRESH_KEY', JSON.stringify(refresh), `idem-${Math.random()}`);
      refused(await asRelay(s.nodeId, '/v1/refresh/round1', { sessionId: session(), participants, auth }), 'APPROVAL_REQUIRED', `refresh on ${s.nodeId}`);
      const auth2 = admin.sign('RESHARE_KEY', JSON.stringify(reshare), `idem-${Math.random()}`);
      const dealers = participants.slice(0, 2);
      const holders = [...participants.slice(1), { nodeId: 'node-4', identifier: participants[0]!.identifier }];
      refused(
        await asRelay(s.nodeId, '/v1/reshare/round1', { sessionId: session(), publicPackage, dealers, holders, auth: auth2 }),
        'APPROVAL_REQUIRED',
        `reshare on ${s.nodeId}`,
      );
    }
    for (const s of key.shares) assert.equal(await epochOf(s.nodeId, s.keyId), 0);

    // Approved by two other admins: each runs, as its requester, and every node took the approvals.
    await approve('REFRESH_KEY', refresh);
    for (const s of key.shares) assert.equal(await epochOf(s.nodeId, s.keyId), 1);
    await signs('frost-ed25519', key.publicKey, [key.shares[0]!.keyId, key.shares[2]!.keyId]);
    await approve('RESHARE_KEY', reshare);
    const moved = ok(await asRelay('node-4', `/v1/keys/${key.publicKey}/share`), 'node-4 took a share');
    assert.equal(moved['epoch'], 2);
    refused(await asRelay('node-1', `/v1/keys/${key.publicKey}/share`), 'NOT_FOUND', 'node-1 left the key');
    await signs('frost-ed25519', key.publicKey, [key.shares[1]!.keyId, moved['keyId'] as string]);
  } finally {
    await c.call(ComponentModule.SET_POLICY, { approvals: [] }).promise();
  }
});

test('nodes refuse a refresh signed without the scope, naming a node outside the roster, or leaving a holder out', async () => {
  const key = await createKey('frost-ed25519');
  const params = { publicKey: key.publicKey };
  const participants = key.shares.map((s) => ({ nodeId: s.nodeId, identifier: s.identifier }));
  // A reader's key: the workspace refuses it, and so does every node it is relayed to directly.
  const reader = generateApiKey();
  await net.client.call(ComponentModule.CREATE_API_KEY, { name: 'reader', scopes: ['keys:read'], publicKey: reader.publicKey }).promise();
  const asReader = new WorkspaceClient({ apiKey: reader.apiKey, baseUrl: net.baseUrl });
  await assert.rejects(asReader.call(ComponentModule.REFRESH_KEY, params).promise(), { code: 'PERMISSION_DENIED' });
  const readerKey = new ApiKey(reader.apiKey);
  for (const s of key.shares) {
    const auth = readerKey.sign('REFRESH_KEY', JSON.stringify(params), `idem-${Math.random()}`);
    refused(await asRelay(s.nodeId, '/v1/refresh/round1', { sessionId: session(), participants, auth }), 'PERMISSION_DENIED', `reader on ${s.nodeId}`);
  }
  // A call the admin signed, but the relay names a node outside the roster, swaps a holder for node-4, or leaves one out.
  const sign = () => admin.sign('REFRESH_KEY', JSON.stringify(params), `idem-${Math.random()}`);
  const outside = participants.map((p, i) => (i === 2 ? { ...p, nodeId: 'node-9' } : p));
  refused(await asRelay('node-1', '/v1/refresh/round1', { sessionId: session(), participants: outside, auth: sign() }), 'PERMISSION_DENIED', 'node-9');
  const swapped = participants.map((p, i) => (i === 2 ? { ...p, nodeId: 'node-4' } : p));
  const r1 = await asRelay('node-4', '/v1/refresh/round1', { sessionId: session(), participants: swapped, auth: sign() });
  refused(r1, 'NOT_FOUND', 'node-4 holds no share of the key');
  const short = participants.slice(0, 2);
  refused(await asRelay('node-1', '/v1/refresh/round1', { sessionId: session(), participants: short, auth: sign() }), 'PERMISSION_DENIED', 'a holder left out');
  const self = participants.map((p, i) => (i === 1 ? { ...p, nodeId: 'node-1' } : i === 0 ? { ...p, nodeId: 'node-2' } : p));
  refused(await asRelay('node-1', '/v1/refresh/round1', { sessionId: session(), participants: self, auth: sign() }), 'PERMISSION_DENIED', 'shares swapped');
  // One signed call is one refresh on a node: replayed under another session, it is refused.
  const once = sign();
  ok(await asRelay('node-1', '/v1/refresh/round1', { sessionId: session(), participants, auth: once }), 'the first use');
  refused(await asRelay('node-1', '/v1/refresh/round1', { sessionId: session(), participants, auth: once }), 'REPLAYED', 'a replay');
  // A signed call of another component starts no refresh.
  const create = admin.sign('CREATE_KEY', JSON.stringify({ scheme: 'frost-ed25519', threshold: 2 }), `idem-${Math.random()}`);
  refused(await asRelay('node-1', '/v1/refresh/round1', { sessionId: session(), participants, auth: create }), 'PERMISSION_DENIED', 'CREATE_KEY');
  for (const s of key.shares) assert.equal(await epochOf(s.nodeId, s.keyId), 0);
  await signs('frost-ed25519', key.publicKey, [key.shares[0]!.keyId, key.shares[1]!.keyId]);
});

test('a staged refresh commits only with every holder confirmation, survives a restart, and an abort leaves the old shares working', async () => {
  const key = await createKey('frost-ed25519');
  const params = { publicKey: key.publicKey };
  const participants = key.shares.map((s) => ({ nodeId: s.nodeId, identifier: s.identifier }));
  const run = async () => {
    const sessionId = session();
    const auth = admin.sign('REFRESH_KEY', JSON.stringify(params), `idem-${Math.random()}`);
    const r1 = await Promise.all(key.shares.map(async (s) => ok(await asRelay(s.nodeId, '/v1/refresh/round1', { sessionId, participants, auth }), 'round1')));
    const commitments = r1.map((r) => ({ message: r['commitment'], signature: r['signature'] }));
    const sealed = r1.flatMap((r) => r['sealed'] as { to: string }[]);
    const confirmations = await Promise.all(
      key.shares.map(async (s) =>
        ok(await asRelay(s.nodeId, '/v1/refresh/round2', { sessionId, commitments, sealed: sealed.filter((m) => m.to === s.identifier) }), 'round2'),
      ),
    );
    return { sessionId, confirmations };
  };

  // Staged everywhere; a commit with a confirmation missing, or forged, is refused.
  const a = await run();
  const commit = (nodeId: string, confirmations: unknown[], sessionId = a.sessionId) =>
    asRelay(nodeId, '/v1/refresh/commit', { sessionId, publicKey: key.publicKey, confirmations });
  refused(await commit('node-1', a.confirmations.slice(0, 2)), 'PERMISSION_DENIED', 'a holder did not confirm');
  const forged = a.confirmations.map((c, i) => (i === 2 ? { ...c, signature: a.confirmations[0]!['signature'] } : c));
  refused(await commit('node-1', forged), 'PERMISSION_DENIED', 'a forged confirmation');
  assert.equal(await epochOf('node-1', key.shares[0]!.keyId), 0);

  // node-1 crashes with its refresh staged; back up, it commits from disk, as do the others.
  await net.killNode('node-1', 'SIGKILL');
  await net.startNode('node-1');
  for (const s of key.shares) assert.equal(ok(await commit(s.nodeId, a.confirmations), 'commit')['epoch'], 1);
  // A retried commit answers the same.
  assert.equal(ok(await commit('node-2', a.confirmations), 'commit again')['epoch'], 1);
  await signs('frost-ed25519', key.publicKey, [key.shares[0]!.keyId, key.shares[2]!.keyId]);

  // A second session staged everywhere, then aborted: the epoch-1 shares keep working, and the staged ones never commit.
  const b = await run();
  for (const s of key.shares) assert.equal(ok(await asRelay(s.nodeId, '/v1/refresh/abort', { sessionId: b.sessionId }), 'abort')['aborted'], true);
  refused(await commit('node-1', b.confirmations, b.sessionId), 'NOT_FOUND', 'commit after abort');
  for (const s of key.shares) assert.equal(await epochOf(s.nodeId, s.keyId), 1);
  await signs('frost-ed25519', key.publicKey, [key.shares[1]!.keyId, key.shares[2]!.keyId]);
  // And the component still refreshes it afterwards.
  assert.equal((await net.client.call(ComponentModule.REFRESH_KEY, params).promise()).epoch, 2);
  await signs('frost-ed25519', key.publicKey, [key.shares[0]!.keyId, key.shares[1]!.keyId]);
});

test('a node lost midway: before every holder confirmed, the refresh aborts and the old shares sign; after, it commits anyway', async () => {
  // The workspace reaches node-3 through a proxy that can lose a request or its answer.
  const proxy = await PausingProxy.start(net.nodes.get('node-3')!.url, workspaceTls(net.dir));
  try {
    await net.killWorkspace();
    const configFile = join(net.dir, 'workspace', 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { nodes: { nodeId: string; url: string }[] };
    config.nodes.find((n) => n.nodeId === 'node-3')!.url = proxy.url;
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    await net.startWorkspace();
    const once = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, maxRetries: 0, adminPublicKey: net.adminPublicKey });
    const key = await createKey('frost-ed25519');
    const epochs = () => Promise.all(key.shares.map((s) => epochOf(s.nodeId, s.keyId)));

    // node-3's round 2 is lost: no holder can commit, every one aborts, and the old shares sign.
    const lost2 = proxy.hold(/^\/v1\/refresh\/round2$/, 'before');
    const failed = once.call(ComponentModule.REFRESH_KEY, { publicKey: key.publicKey }).promise();
    (await lost2).drop();
    await assert.rejects(failed, { code: 'NODE_UNAVAILABLE' });
    assert.deepEqual(await epochs(), [0, 0, 0]);
    assert.ok(proxy.seen.includes('/v1/refresh/abort'), 'the workspace aborted on node-3 too');
    await signs('frost-ed25519', key.publicKey, [key.shares[0]!.keyId, key.shares[2]!.keyId]);

    // node-3's commit is lost after every holder confirmed: the call fails as retryable. With no retry, the
    // workspace's sweep commits it on node-3 by itself; the retry with the same idempotency key then answers.
    const lostCommit = proxy.hold(/^\/v1\/refresh\/commit$/, 'before');
    const first = once.call(ComponentModule.REFRESH_KEY, { publicKey: key.publicKey }, { idempotencyKey: 'refresh-midway' }).promise();
    (await lostCommit).drop();
    await assert.rejects(first, { code: 'NODE_UNAVAILABLE' });
    const until = Date.now() + 10_000;
    while ((await epochs())[2] !== 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await epochs(), [1, 1, 1], 'the sweep committed node-3');
    const retried = await net.client.call(ComponentModule.REFRESH_KEY, { publicKey: key.publicKey }, { idempotencyKey: 'refresh-midway' }).promise();
    assert.equal(retried.epoch, 1);
    assert.deepEqual(await epochs(), [1, 1, 1]);
    await signs('frost-ed25519', key.publicKey, [key.shares[1]!.keyId, key.shares[2]!.keyId]);
  } finally {
    proxy.clearHolds();
    // The workspace reaches node-3 directly again.
    await net.killWorkspace();
    const configFile = join(net.dir, 'workspace', 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { nodes: { nodeId: string; url: string }[] };
    config.nodes.find((n) => n.nodeId === 'node-3')!.url = net.nodes.get('node-3')!.url;
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    await net.startWorkspace();
    await proxy.close();
  }
});

export type { ComponentResult };
