/**
 * A workspace an attacker fully controls: it holds every node credential and
 * the workspace database, and speaks to real node processes as it likes. It
 * also sees every call that honest callers sign, so it can replay or alter
 * them. Every node must refuse each attempt on its own, and nothing may change
 * on any node.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateIdentity, unwrap, wrap } from '@wr/age';
import { callDigest, type CallerAuth } from '@wr/api';
import { ApiKey, ComponentModule, WorkspaceClient, describeApiKey, generateApiKey, type ComponentResult } from 'caller-sdk';
import { relayFetch, startTestNetwork, type TestNetwork } from '@wr/cli/test-network';

let net: TestNetwork;
let admin: ApiKey;
let key: ComponentResult<'CREATE_KEY'>;
let attackerRecipient: string;

/** The attacker's own way to a node: the workspace's credential, any path, any body. */
async function asWorkspace(
  nodeId: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> & { error?: { code: string; message: string } } }> {
  const token = readFileSync(join(net.dir, nodeId, 'workspace.token'), 'utf8').trim();
  const res = await relayFetch(net.dir)(net.nodes.get(nodeId)!.url + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as never };
}

/** A call as an honest caller signs it (the attacker sees it pass through). */
const signed = (k: ApiKey, component: string, params: object, idempotencyKey = `idem-${Math.random()}`) =>
  k.sign(component, JSON.stringify(params), idempotencyKey);

/** What every node holds: shares (by keyId, with their public description) and the API-key registry. */
async function nodeState(): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const nodeId of net.nodes.keys()) {
    const shares = (await asWorkspace(nodeId, '/v1/shares')).json['shares'];
    const db = new Database(join(net.dir, nodeId, 'node.db'), { readonly: true });
    const registry = db.prepare('SELECT api_key_id, scopes, revoked_at FROM api_key_registry ORDER BY api_key_id').all();
    db.close();
    out[nodeId] = { shares, registry };
  }
  return JSON.stringify(out);
}

function refused(r: { status: number; json: { error?: { code: string } } }, codes: string[], what: string): void {
  assert.ok(r.status >= 400, `${what}: the node did it (HTTP ${r.status})`);
  assert.ok(codes.includes(r.json.error?.code ?? ''), `${what}: refused with ${r.json.error?.code}, expected one of ${codes.join(', ')}`);
}

before(async () => {
  net = await startTestNetwork('compromised');
  admin = new ApiKey(net.apiKey);
  key = await net.client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
  attackerRecipient = (await generateIdentity('x25519')).recipient;
});
after(async () => {
  await net?.cleanup();
});

test('it cannot make a node sign a message no caller asked for', async () => {
  const before = await nodeState();
  const keyId = key.shares[0]!.keyId;
  const session = 'ses_' + 'a'.repeat(26);
  // No caller at all, a key the registry does not know, and a caller's signature over another message.
  refused(await asWorkspace('node-1', '/v1/sign/round1', { sessionId: session, keyId }), ['INVALID_ARGUMENT'], 'no signed call');
  const stranger = new ApiKey(generateApiKey().apiKey);
  refused(
    await asWorkspace('node-1', '/v1/sign/round1', {
      sessionId: session,
      keyId,
      auth: signed(stranger, 'SIGN', { keyIds: [keyId, key.shares[1]!.keyId], message: 'ee' }),
    }),
    ['UNAUTHENTICATED'],
    'unregistered key',
  );
  const honest = signed(admin, 'SIGN', { keyIds: [key.shares[1]!.keyId, key.shares[2]!.keyId], message: 'c0ffee' });
  refused(await asWorkspace('node-1', '/v1/sign/round1', { sessionId: session, keyId, auth: honest }), ['PERMISSION_DENIED'], 'a signed call for other shares');
  const altered = { ...honest, body: honest.body.replace('c0ffee', 'deadbeef') };
  refused(
    await asWorkspace('node-2', '/v1/sign/round1', { sessionId: session, keyId: key.shares[1]!.keyId, auth: altered }),
    ['UNAUTHENTICATED'],
    'a signed call with its message changed',
  );
  // The honest call is used once; its replay is refused, and round 2 signs only the message the caller signed.
  const ok = await asWorkspace('node-2', '/v1/sign/round1', { sessionId: session, keyId: key.shares[1]!.keyId, auth: honest });
  assert.equal(ok.status, 200);
  refused(
    await asWorkspace('node-2', '/v1/sign/round1', { sessionId: 'ses_' + 'b'.repeat(26), keyId: key.shares[1]!.keyId, auth: honest }),
    ['REPLAYED'],
    'a replayed call',
  );
  const stale = admin.sign('SIGN', JSON.stringify({ keyIds: [key.shares[0]!.keyId, key.shares[1]!.keyId], message: 'aa' }), 'old', Date.now() - 10 * 60_000);
  refused(await asWorkspace('node-1', '/v1/sign/round1', { sessionId: session, keyId, auth: stale }), ['UNAUTHENTICATED'], 'a call signed 10 minutes ago');
  assert.equal(await nodeState(), before);
});

test('it cannot export a share to its own recipient, nor another share than the caller named', async () => {
  const before = await nodeState();
  const [a, b] = [key.shares[0]!.keyId, key.shares[1]!.keyId];
  const escrow = (await generateIdentity('x25519')).recipient;
  const honest = signed(admin, 'EXPORT_KEY_SHARE', { keyId: a, ageRecipient: escrow });
  const swapped = { ...honest, body: JSON.stringify({ keyId: a, ageRecipient: attackerRecipient }) };
  refused(await asWorkspace('node-1', `/v1/shares/${a}/export`, { auth: swapped }), ['UNAUTHENTICATED'], 'recipient swapped');
  refused(await asWorkspace('node-2', `/v1/shares/${b}/export`, { auth: honest }), ['PERMISSION_DENIED'], 'the call used for another share');
  refused(
    await asWorkspace('node-1', `/v1/shares/${a}/export`, { auth: signed(admin, 'SIGN', { keyIds: [a, b], message: 'aa' }) }),
    ['PERMISSION_DENIED'],
    'a SIGN call used to export',
  );
  refused(await asWorkspace('node-1', `/v1/shares/${a}/export`, { recipients: [attackerRecipient] }), ['INVALID_ARGUMENT'], 'the old unsigned form');
  assert.equal(await nodeState(), before);
});

test('it cannot delete shares: not unsigned, not through a DKG abort of a committed key', async () => {
  const before = await nodeState();
  const a = key.shares[0]!.keyId;
  refused(
    await asWorkspace('node-1', `/v1/shares/${a}/delete`, { auth: signed(new ApiKey(generateApiKey().apiKey), 'DELETE_KEY_SHARE', { keyId: a }) }),
    ['UNAUTHENTICATED'],
    'delete signed by a stranger',
  );
  refused(
    await asWorkspace('node-1', `/v1/shares/${a}/delete`, { auth: signed(admin, 'DELETE_KEY_SHARE', { keyId: key.shares[1]!.keyId }) }),
    ['PERMISSION_DENIED'],
    'a delete of another share',
  );
  // The workspace database tells the attacker every DKG session; aborting a committed one removes nothing.
  const db = new Database(join(net.dir, 'workspace', 'workspace.db'), { readonly: true });
  const sessions = (db.prepare('SELECT session_id FROM dkg_results').all() as { session_id: string }[]).map((r) => r.session_id);
  db.close();
  assert.ok(sessions.length > 0);
  for (const sessionId of sessions) {
    for (const nodeId of ['node-1', 'node-2', 'node-3']) {
      const r = await asWorkspace(nodeId, '/v1/dkg/abort', { sessionId });
      assert.equal(r.json['aborted'], false, `abort of committed session ${sessionId} on ${nodeId}`);
    }
  }
  assert.equal(await nodeState(), before);
});

test("it cannot run a DKG with fake peers, even with a caller's signed CREATE_KEY", async () => {
  const before = await nodeState();
  const honest = signed(admin, 'CREATE_KEY', { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] });
  const info1 = (await asWorkspace('node-1', '/v1/info')).json as { recipientKey: string; signingKey: string };
  const fake = { identifier: '02' + '00'.repeat(31), recipient: attackerRecipient, signingKey: generateApiKey().publicKey };
  const participants = [{ identifier: '01' + '00'.repeat(31), recipient: info1.recipientKey, signingKey: info1.signingKey }, fake];
  refused(
    await asWorkspace('node-1', '/v1/dkg/round1', { sessionId: 'ses_' + 'c'.repeat(26), participants, self: participants[0]!.identifier, auth: honest }),
    ['PERMISSION_DENIED'],
    'a fake peer',
  );
  refused(
    await asWorkspace('node-1', '/v1/dkg/round1', { sessionId: 'ses_' + 'd'.repeat(26), participants, self: participants[0]!.identifier }),
    ['INVALID_ARGUMENT'],
    'no signed call',
  );
  // A roster of its own, to make the fake peer a member: refused, it is not the admin's.
  const forged = new ApiKey(generateApiKey().apiKey).signRoster({
    version: 99,
    issuedAt: new Date().toISOString(),
    nodes: [
      { nodeId: 'node-1', ...pick(info1) },
      { nodeId: 'node-9', signingKey: fake.signingKey, recipientKey: fake.recipient, postQuantumRecipientKey: 'age1pq1' + 'q'.repeat(60) },
    ],
  });
  refused(await asWorkspace('node-1', '/v1/roster', { roster: forged }), ['PERMISSION_DENIED'], 'a roster the admin did not sign');
  assert.equal(await nodeState(), before);
});

test('it cannot grant itself scopes or register keys', async () => {
  const before = await nodeState();
  const mine = generateApiKey();
  const own = new ApiKey(mine.apiKey);
  const selfSigned = signed(own, 'CREATE_API_KEY', { name: 'mine', scopes: ['admin', 'keys:export'], publicKey: mine.publicKey });
  // A key with admin but not keys:export, registered honestly, cannot grant keys:export.
  const limited = generateApiKey();
  await net.client.call(ComponentModule.CREATE_API_KEY, { name: 'limited-admin', scopes: ['admin', 'keys:read'], publicKey: limited.publicKey }).promise();
  const widening = signed(new ApiKey(limited.apiKey), 'CREATE_API_KEY', { name: 'wide', scopes: ['keys:export'], publicKey: mine.publicKey });
  const afterHonest = await nodeState();
  assert.notEqual(afterHonest, before, 'the honest registration reached the nodes');
  for (const nodeId of net.nodes.keys()) {
    const r = await asWorkspace(nodeId, '/v1/registry/changes', { changes: [selfSigned, widening] });
    assert.deepEqual(
      (r.json['results'] as { ok: boolean; code?: string }[]).map((x) => [x.ok, x.code]),
      [
        [false, 'UNAUTHENTICATED'],
        [false, 'PERMISSION_DENIED'],
      ],
    );
  }
  assert.equal(await nodeState(), afterHonest);
});

test('a node refuses a second share of a key it holds, and a share it deleted', async () => {
  const c = net.client;
  const node1 = (await c.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-1' }).promise()).recipientKey;
  // node-2's share wrapped to node-1, which holds another share of the same key: a quorum on one node.
  const second = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[1]!.keyId, ageRecipient: node1 }).promise();
  await assert.rejects(c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: second.wrappedKeyShare, nodeId: 'node-1' }).promise(), { code: 'CONFLICT' });
  // A share moved to node-4 and deleted there never comes back from its old file.
  const node4 = (await c.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-4' }).promise()).recipientKey;
  const moved = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[2]!.keyId, ageRecipient: node4 }).promise();
  const imported = await c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: moved.wrappedKeyShare, nodeId: 'node-4' }).promise();
  await c.call(ComponentModule.DELETE_KEY_SHARE, { keyId: imported.keyId }).promise();
  await assert.rejects(c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: moved.wrappedKeyShare, nodeId: 'node-4' }).promise(), {
    code: 'SHARE_RETIRED',
  });
});

function pick(i: { recipientKey: string; signingKey: string; postQuantumRecipientKey?: string }) {
  return { signingKey: i.signingKey, recipientKey: i.recipientKey, postQuantumRecipientKey: i.postQuantumRecipientKey ?? '' };
}

test('an identity sealed for one caller rewraps nothing for another (review H1)', async () => {
  const c = net.client;
  const bob = generateApiKey();
  await c.call(ComponentModule.CREATE_API_KEY, { name: 'bob', scopes: ['age:rewrap', 'nodes:read'], publicKey: bob.publicKey }).promise();
  const asBob = new WorkspaceClient({ apiKey: bob.apiKey, baseUrl: net.baseUrl });
  // The admin's backup: a share wrapped to an identity that a node sealed for the admin's key.
  const sealed = await c.call(ComponentModule.GENERATE_AGE_ENCRYPTION, {}).promise();
  assert.doesNotMatch(sealed.encryptedPrivateKey, /AGE-SECRET-KEY/);
  const backup = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: sealed.publicKey }).promise();
  const bobs = (await generateIdentity('x25519')).recipient;
  await assert.rejects(
    asBob
      .call(ComponentModule.REWRAPPING_KEY_SHARE, { ageIdentity: sealed.encryptedPrivateKey, wrappedKeyShare: backup.wrappedKeyShare, ageRecipient: bobs })
      .promise(),
    { code: 'PERMISSION_DENIED' },
  );
  // Its owner can.
  const own = await c
    .call(ComponentModule.REWRAPPING_KEY_SHARE, { ageIdentity: sealed.encryptedPrivateKey, wrappedKeyShare: backup.wrappedKeyShare })
    .promise();
  assert.ok(own.encryptedPrivateKey && own.publicKey);
});

test('a policy of two approvals: it cannot skip them, and two admins other than the requester run the call', async () => {
  const c = net.client;
  const [second, third] = [generateApiKey(), generateApiKey()];
  for (const [name, k] of [
    ['second-admin', second],
    ['third-admin', third],
  ] as const) {
    await c.call(ComponentModule.CREATE_API_KEY, { name, scopes: ['admin', 'keys:read', 'keys:export'], publicKey: k.publicKey }).promise();
  }
  // Only the root admin key sets the policy; every node applies it itself.
  await assert.rejects(new WorkspaceClient({ apiKey: second.apiKey, baseUrl: net.baseUrl }).call(ComponentModule.SET_POLICY, { approvals: [] }).promise(), {
    code: 'PERMISSION_DENIED',
  });
  await c.call(ComponentModule.SET_POLICY, { approvals: [{ component: 'EXPORT_KEY_SHARE', approvals: 2 }] }).promise();
  const before = await nodeState();

  const keyId = key.shares[0]!.keyId;
  const escrow = await generateIdentity('x25519');
  const params = { keyId, ageRecipient: escrow.recipient };
  await assert.rejects(c.call(ComponentModule.EXPORT_KEY_SHARE, params).promise(), { code: 'APPROVAL_REQUIRED' });

  // The attacker holds the caller's signed call, and the request with too few, repeated or self-made approvals.
  refused(
    await asWorkspace('node-1', `/v1/shares/${keyId}/export`, { auth: signed(admin, 'EXPORT_KEY_SHARE', params) }),
    ['APPROVAL_REQUIRED'],
    'a direct call',
  );
  const request = signed(admin, 'REQUEST_APPROVAL', { component: 'EXPORT_KEY_SHARE', params });
  const approvalRequestId = 'apr_' + callDigest(request);
  const approve = (k: string) => signed(new ApiKey(k), 'APPROVE_REQUEST', { approvalRequestId });
  const attempts: [string, CallerAuth[]][] = [
    ['one approval', [approve(second.apiKey)]],
    ['one admin twice', [approve(second.apiKey), approve(second.apiKey)]],
    ['the requester approving itself', [approve(second.apiKey), approve(net.apiKey)]],
    [
      'an approval of another request',
      [approve(second.apiKey), signed(new ApiKey(third.apiKey), 'APPROVE_REQUEST', { approvalRequestId: 'apr_' + 'f'.repeat(64) })],
    ],
  ];
  for (const [what, approvals] of attempts)
    refused(await asWorkspace('node-1', `/v1/shares/${keyId}/export`, { auth: request, approvals }), ['APPROVAL_REQUIRED'], what);
  assert.equal(await nodeState(), before);

  // The honest way: requested, approved by two other admins, and run once the second approval is in.
  const pending = await c.call(ComponentModule.REQUEST_APPROVAL, { component: 'EXPORT_KEY_SHARE', params }).promise();
  assert.deepEqual([pending.status, pending.required, pending.approvedBy], ['pending', 2, []]);
  await assert.rejects(c.call(ComponentModule.APPROVE_REQUEST, { approvalRequestId: pending.approvalRequestId }).promise(), { code: 'PERMISSION_DENIED' });
  const once = await new WorkspaceClient({ apiKey: second.apiKey, baseUrl: net.baseUrl })
    .call(ComponentModule.APPROVE_REQUEST, { approvalRequestId: pending.approvalRequestId })
    .promise();
  assert.equal(once.status, 'pending');
  const done = await new WorkspaceClient({ apiKey: third.apiKey, baseUrl: net.baseUrl })
    .call(ComponentModule.APPROVE_REQUEST, { approvalRequestId: pending.approvalRequestId })
    .promise();
  assert.equal(done.status, 'executed', JSON.stringify(done.error));
  const { wrappedKeyShare } = done.result as { wrappedKeyShare: string };
  const envelope = JSON.parse(new TextDecoder().decode(await unwrap(wrappedKeyShare, { identities: [escrow.identity.expose()] }))) as { identifier: string };
  assert.equal(envelope.identifier, key.shares[0]!.identifier);
  const seen = await c.call(ComponentModule.GET_APPROVAL_REQUEST, { approvalRequestId: pending.approvalRequestId }).promise();
  assert.deepEqual(seen.approvedBy.sort(), [describeApiKey(second.apiKey).apiKeyId, describeApiKey(third.apiKey).apiKeyId].sort());
  // The node that exported logged the requester and both approvers.
  const exported = (await c.call(ComponentModule.LIST_AUDIT_EVENTS, { nodeId: 'node-1' }).promise()).events.filter((e) => e.action === 'share.export').pop()!;
  assert.equal(exported.actor, c.apiKeyId);
  assert.deepEqual((exported.details['approvedBy'] as string[]).sort(), seen.approvedBy.sort());
  await c.call(ComponentModule.SET_POLICY, { approvals: [] }).promise();
});

test('the SDK refuses a node recipient that is not in the roster the admin signed', async () => {
  // A workspace that answers its own recipient for node-4, with the roster it has or one it signed itself.
  const honest = await net.client.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-4' }).promise();
  const lies = [
    { ...honest, recipientKey: attackerRecipient },
    {
      ...honest,
      roster: new ApiKey(generateApiKey().apiKey).signRoster({
        ...JSON.parse(honest.roster.roster),
        nodes: [{ ...JSON.parse(honest.roster.roster).nodes[3], recipientKey: attackerRecipient }],
      }),
    },
    { ...honest, nodeId: 'node-1' },
  ];
  const fake = createServer((req, res) => {
    const body = JSON.stringify(lies.shift());
    req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  try {
    const client = new WorkspaceClient({
      apiKey: net.apiKey,
      baseUrl: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`,
      adminPublicKey: net.adminPublicKey,
    });
    for (let i = 0; i < 3; i++)
      await assert.rejects(client.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-4' }).promise(), { code: 'UNAUTHENTICATED' });
  } finally {
    fake.close();
  }
});

test('an identity given as text reaches the node that uses it, never the workspace in the clear', async () => {
  const c = net.client;
  const mine = await generateIdentity('x25519');
  const fresh = await generateIdentity('x25519');
  const { wrappedKeyShare } = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[1]!.keyId, ageRecipient: mine.recipient }).promise();
  const sent: string[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    if (typeof init?.body === 'string') sent.push(init.body);
    return realFetch(input, init);
  }) as typeof fetch;
  let rewrapped: string;
  try {
    ({ rewrappedKeyShare: rewrapped } = await c
      .call(ComponentModule.REWRAPPING_KEY_SHARE, { ageIdentity: mine.identity.expose(), wrappedKeyShare, ageRecipient: fresh.recipient })
      .promise());
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.ok(
    sent.some((b) => b.includes('BEGIN AGE ENCRYPTED FILE')),
    'the identity went wrapped',
  );
  for (const body of sent) assert.ok(!body.includes(mine.identity.expose()), 'the identity went to the workspace in the clear');
  const envelope = JSON.parse(new TextDecoder().decode(await unwrap(rewrapped, { identities: [fresh.identity.expose()] }))) as { identifier: string };
  assert.equal(envelope.identifier, key.shares[1]!.identifier);
});

test('the SDK refuses results the nodes did not sign for: a key, an export, an import', async () => {
  const c = net.client;
  const made = await c.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise();
  assert.ok(
    made.shares.every((s) => s.receipt?.nodeId === s.nodeId),
    "every share comes with its node's receipt",
  );
  const escrow = await generateIdentity('x25519');
  const exported = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: made.shares[0]!.keyId, ageRecipient: escrow.recipient }).promise();
  const node4 = (await c.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-4' }).promise()).recipientKey;
  const toNode4 = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: made.shares[0]!.keyId, ageRecipient: node4 }).promise();
  const imported = await c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: toNode4.wrappedKeyShare, nodeId: 'node-4' }).promise();
  const mine = await generateIdentity('x25519');

  // A workspace that lies, answering each call from a script (its roster answer is the honest one).
  const honestRoster = await c.call(ComponentModule.GET_NODE_RECIPIENT_KEY, {}).promise();
  const lies: Record<string, unknown[]> = {
    CREATE_KEY: [
      { ...made, shares: [made.shares[0], { ...made.shares[1], receipt: made.shares[0]!.receipt }] },
      { ...made, threshold: 2 },
    ],
    EXPORT_KEY_SHARE: [{ ...exported, wrappedKeyShare: await wrap(new TextEncoder().encode('not the share'), [mine.recipient]) }],
    IMPORT_KEY_SHARE: [{ ...imported, nodeId: 'node-3' }],
  };
  const fake = createServer((req, res) => {
    const component = req.url!.split('/').pop()!;
    const body = JSON.stringify(component === 'GET_NODE_RECIPIENT_KEY' ? honestRoster : lies[component]!.shift());
    req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  try {
    const client = new WorkspaceClient({
      apiKey: net.apiKey,
      baseUrl: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`,
      adminPublicKey: net.adminPublicKey,
    });
    const refusedBySdk = (p: Promise<unknown>) => assert.rejects(p, { code: 'UNAUTHENTICATED' });
    await refusedBySdk(client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise());
    await refusedBySdk(
      client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'], exportable: false }).promise(),
    );
    await refusedBySdk(client.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: made.shares[0]!.keyId, ageRecipient: escrow.recipient }).promise());
    await refusedBySdk(client.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: toNode4.wrappedKeyShare, nodeId: 'node-4' }).promise());
  } finally {
    fake.close();
  }
});
