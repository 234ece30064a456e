/**
 * A node's own checks, driven in process through app.inject(): whoever holds
 * the workspace's credential still gets nothing done without a call a
 * registered key signed, a roster the admin signed, and registry changes an
 * admin signed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { apiKeyIdOf, callMessage, rosterMessage, type CallerAuth, type Roster } from '@wr/api';
import { Secret, publicKeyOfSeed, signRaw, toHex } from '@wr/common';
import { buildNode } from '../src/server.js';
import type { NodeContext } from '../src/context.js';

/** An API key pair, as caller-sdk makes one. */
function apiKey() {
  const seed = new Secret(new Uint8Array(randomBytes(32)));
  const publicKey = toHex(publicKeyOfSeed(seed));
  return {
    publicKey,
    apiKeyId: apiKeyIdOf(publicKey),
    sign(component: string, params: object, timestamp = Date.now()): CallerAuth {
      const body = JSON.stringify(params);
      const idempotencyKey = `t-${Math.random()}`;
      return {
        apiKeyId: apiKeyIdOf(publicKey),
        component,
        idempotencyKey,
        timestamp,
        body,
        signature: toHex(signRaw(seed, callMessage({ component, idempotencyKey, timestamp, body }))),
      };
    },
    signRoster(roster: Roster) {
      const text = JSON.stringify(roster);
      return { roster: text, signature: toHex(signRaw(seed, rosterMessage(text))) };
    },
  };
}

const root = apiKey();
const TOKEN = 'workspace-credential';
let dir: string;
let app: FastifyInstance;
let ctx: NodeContext;

const post = async (url: string, payload: unknown, token = TOKEN) => {
  const r = await app.inject({ method: 'POST', url, payload: payload as object, headers: { authorization: `Bearer ${token}` } });
  return { status: r.statusCode, json: r.json() as { error?: { code: string } } & Record<string, unknown> };
};
const keyId = 'key_' + 'a'.repeat(26);
const sessionId = 'ses_' + 'b'.repeat(26);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wr-node-routes-'));
  ({ app, ctx } = await buildNode({
    nodeId: 'node-1',
    host: '127.0.0.1',
    port: 0,
    databaseFile: join(dir, 'node.db'),
    masterKey: new Secret(new Uint8Array(randomBytes(32))),
    authToken: new Secret(TOKEN),
    adminPublicKey: root.publicKey,
    log: false,
  }));
});
after(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const self = () => ({
  nodeId: 'node-1',
  signingKey: ctx.keyring.signingPublicKey,
  recipientKey: ctx.keyring.recipient,
  postQuantumRecipientKey: ctx.keyring.postQuantumRecipient,
});

test('without the workspace credential every route but /healthz is 401', async () => {
  assert.equal((await post(`/v1/shares/${keyId}/export`, { auth: root.sign('EXPORT_KEY_SHARE', { keyId, ageRecipient: 'x' }) }, 'wrong')).status, 401);
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});

test('a DKG before the roster is NODE_UNAVAILABLE; a roster the admin did not sign, or without this node, is refused', async () => {
  const auth = root.sign('CREATE_KEY', { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] });
  const early = await post('/v1/dkg/round1', { sessionId, participants: [], self: '01', auth });
  assert.equal(early.status, 400, 'two participants at least');
  const participants = [
    { identifier: '01' + '00'.repeat(31), recipient: self().recipientKey, signingKey: self().signingKey },
    { identifier: '02' + '00'.repeat(31), recipient: self().recipientKey, signingKey: 'ab'.repeat(32) },
  ];
  assert.equal((await post('/v1/dkg/round1', { sessionId, participants, self: participants[0]!.identifier, auth })).json.error?.code, 'NODE_UNAVAILABLE');

  const other = apiKey();
  const peer = { nodeId: 'node-2', signingKey: 'cd'.repeat(32), recipientKey: 'age1' + 'q'.repeat(58), postQuantumRecipientKey: 'age1pq1' + 'q'.repeat(60) };
  const roster: Roster = { version: 2, issuedAt: new Date().toISOString(), nodes: [self(), peer] };
  assert.equal((await post('/v1/roster', { roster: other.signRoster(roster) })).json.error?.code, 'PERMISSION_DENIED');
  assert.equal((await post('/v1/roster', { roster: root.signRoster({ ...roster, nodes: [peer] }) })).json.error?.code, 'PERMISSION_DENIED');
  assert.deepEqual((await post('/v1/roster', { roster: root.signRoster(roster) })).json, { version: 2, changed: true });
  assert.equal((await post('/v1/roster', { roster: root.signRoster({ ...roster, version: 1 }) })).json.error?.code, 'CONFLICT');

  // With the roster, a peer that is not node-2 of it is refused, even under the caller's own signed call.
  const fresh = root.sign('CREATE_KEY', { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] });
  assert.equal(
    (await post('/v1/dkg/round1', { sessionId, participants, self: participants[0]!.identifier, auth: fresh })).json.error?.code,
    'PERMISSION_DENIED',
  );
});

test('registry changes: only admin-signed ones apply, and a key grants only scopes it holds', async () => {
  const reader = apiKey();
  const admin = apiKey();
  const r = await post('/v1/registry/changes', {
    changes: [
      reader.sign('CREATE_API_KEY', { name: 'self-made', scopes: ['admin'], publicKey: reader.publicKey }),
      root.sign('CREATE_API_KEY', { name: 'limited admin', scopes: ['admin', 'keys:read'], publicKey: admin.publicKey }),
      admin.sign('CREATE_API_KEY', { name: 'wide', scopes: ['keys:export'], publicKey: reader.publicKey }),
      admin.sign('SET_POLICY', { approvals: [] }),
    ],
  });
  assert.deepEqual(
    (r.json['results'] as { ok: boolean; code?: string }[]).map((x) => x.ok || x.code),
    ['UNAUTHENTICATED', true, 'PERMISSION_DENIED', 'PERMISSION_DENIED'],
  );
  assert.equal(ctx.authorizer.registry.get(reader.apiKeyId), undefined);

  // Revoked by the root: the node refuses the key from then on, and a replayed creation does not bring it back.
  const created = root.sign('CREATE_API_KEY', { name: 'short-lived', scopes: ['keys:read'], publicKey: reader.publicKey });
  const revoke = root.sign('REVOKE_API_KEY', { apiKeyId: reader.apiKeyId });
  const again = await post('/v1/registry/changes', { changes: [created, revoke, created] });
  assert.deepEqual(
    (again.json['results'] as { changed: boolean }[]).map((x) => x.changed),
    [true, true, false],
  );
  assert.equal(ctx.authorizer.registry.get(reader.apiKeyId)?.revoked, true);
  const refused = await post(`/v1/shares/${keyId}/export`, { auth: reader.sign('EXPORT_KEY_SHARE', { keyId, ageRecipient: ctx.keyring.recipient }) });
  assert.equal(refused.json.error?.code, 'UNAUTHENTICATED');
});

test('a signed call is checked before anything: stale, altered, for another share, replayed', async () => {
  const params = { keyId, ageRecipient: ctx.keyring.recipient };
  const stale = root.sign('EXPORT_KEY_SHARE', params, Date.now() - 10 * 60_000);
  assert.equal((await post(`/v1/shares/${keyId}/export`, { auth: stale })).json.error?.code, 'UNAUTHENTICATED');
  const good = root.sign('EXPORT_KEY_SHARE', params);
  assert.equal(
    (await post(`/v1/shares/${keyId}/export`, { auth: { ...good, body: good.body.replace('"keyId"', '"keyId" ') } })).json.error?.code,
    'UNAUTHENTICATED',
  );
  assert.equal((await post(`/v1/shares/key_${'c'.repeat(26)}/export`, { auth: root.sign('EXPORT_KEY_SHARE', params) })).json.error?.code, 'PERMISSION_DENIED');
  // Valid and fresh: the share is not here, and the same call again is a replay.
  assert.equal((await post(`/v1/shares/${keyId}/export`, { auth: good })).json.error?.code, 'NOT_FOUND');
  assert.equal((await post(`/v1/shares/${keyId}/export`, { auth: good })).json.error?.code, 'REPLAYED');
  // The old, unsigned form of the call is not accepted at all.
  assert.equal((await post(`/v1/shares/${keyId}/export`, { recipients: [ctx.keyring.recipient] })).status, 400);
});
