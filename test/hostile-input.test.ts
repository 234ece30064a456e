/**
 * A catalogue of hostile and broken input against the real servers: every case
 * gets its stable error code, the servers keep answering, and the set of stored
 * shares is exactly what it should be afterwards.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { armor } from 'age-encryption';
import { generateIdentity, unwrap, wrap } from '@wr/age';
import { ComponentModule, WorkspaceClient, generateApiKey, type ComponentResult } from 'caller-sdk';
import { relayFetch, startTestNetwork, type TestNetwork } from '@wr/cli/test-network';
import { endlessUpload, rawCall, rawPost, signed } from './support/raw.js';

let net: TestNetwork;
let key: ComponentResult<'CREATE_KEY'>;
let locked: ComponentResult<'CREATE_KEY'>;
let node4: string;
let mine: { identity: string; recipient: string };
let envelopeText: string;

async function shareSet(): Promise<string[]> {
  const { keys } = await net.client.call(ComponentModule.LIST_KEYS, { limit: 1000 }).promise();
  return keys.map((k) => k.keyId).sort();
}

async function expectCode(p: Promise<unknown>, code: string, what: string) {
  await assert.rejects(p, (err: { code?: string; message?: string }) => {
    assert.equal(err.code, code, `${what}: got ${err.code} (${err.message})`);
    return true;
  });
}

const importShare = (wrappedKeyShare: string) => net.client.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare, nodeId: 'node-4' }).promise();

before(async () => {
  net = await startTestNetwork('hostile');
  key = await net.client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
  locked = await net.client
    .call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'], exportable: false })
    .promise();
  node4 = (await net.client.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-4' }).promise()).recipientKey;
  const g = await generateIdentity('x25519');
  mine = { identity: g.identity.expose(), recipient: g.recipient };
  const exported = await net.client.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: mine.recipient }).promise();
  envelopeText = new TextDecoder().decode(await unwrap(exported.wrappedKeyShare, { identities: [mine.identity] }));
});
after(async () => {
  await net?.cleanup();
});

test('broken wrapped shares are refused with their code, and nothing is stored', async () => {
  const before = await shareSet();
  const good = (await net.client.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: node4 }).promise()).wrappedKeyShare;
  const bin = armor.decode(good);
  const flip = (at: number) => {
    const b = new Uint8Array(bin);
    b[at]! ^= 0x01;
    return armor.encode(b);
  };
  const text = new TextDecoder().decode(bin);
  const macAt = text.indexOf('\n--- ') + 5;
  const payloadAt = bin.length - 20;

  await expectCode(importShare('hello, this is not age'), 'WRAPPED_SHARE_CORRUPT', 'not age');
  await expectCode(importShare('-----BEGIN AGE ENCRYPTED FILE-----\n!!!!\n-----END AGE ENCRYPTED FILE-----\n'), 'WRAPPED_SHARE_CORRUPT', 'bad armor');
  await expectCode(importShare(flip(3)), 'WRAPPED_SHARE_CORRUPT', 'flipped bit in the version line');
  await expectCode(importShare(flip(macAt + 2)), 'WRAPPED_SHARE_CORRUPT', 'flipped bit in the header MAC');
  await expectCode(importShare(flip(payloadAt)), 'WRAPPED_SHARE_CORRUPT', 'flipped bit in the payload');
  await expectCode(importShare(armor.encode(bin.subarray(0, bin.length - 7))), 'WRAPPED_SHARE_CORRUPT', 'truncated');
  await expectCode(importShare(armor.encode(new Uint8Array([...bin, 1, 2, 3]))), 'WRAPPED_SHARE_CORRUPT', 'trailing data');
  await expectCode(importShare(good + 'trailing text'), 'WRAPPED_SHARE_CORRUPT', 'text after the armor');
  const other = await generateIdentity('x25519');
  const toOther = (await net.client.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: other.recipient }).promise())
    .wrappedKeyShare;
  await expectCode(importShare(toOther), 'NO_IDENTITY_MATCH', 'wrapped to another recipient');
  await expectCode(
    importShare(
      await wrap(
        new Uint8Array(512).map(() => Math.floor(Math.random() * 256)),
        [node4],
      ),
    ),
    'SHARE_INVALID',
    'random bytes inside',
  );

  assert.deepEqual(await shareSet(), before);
});

test('envelopes that are well wrapped but wrong are refused by our checks', async () => {
  const before = await shareSet();
  const env = JSON.parse(envelopeText) as Record<string, unknown>;
  const rewrap = async (obj: unknown) => wrap(new TextEncoder().encode(typeof obj === 'string' ? obj : JSON.stringify(obj)), [node4]);

  await expectCode(importShare(await rewrap({ ...env, version: 2 })), 'UNSUPPORTED_VERSION', 'unknown version');
  // Any single field changed: only the envelope checks can catch it, since the age layer is intact.
  const altHex = (h: string) => (h.startsWith('0') ? '1' : '0') + h.slice(1);
  for (const field of Object.keys(env)) {
    if (field === 'version') continue;
    const v = env[field];
    const changed =
      typeof v === 'string'
        ? /^[0-9a-f]+$/.test(v)
          ? altHex(v)
          : v + 'x'
        : typeof v === 'number'
          ? v + 1
          : Array.isArray(v)
            ? [...v].reverse()
            : { ...(v as object), extra: 'x' };
    await expectCode(importShare(await rewrap({ ...env, [field]: changed })), 'SHARE_INVALID', `field ${field} changed`);
  }
  // A signing share that does not match its verifying share (another share of the same key).
  const otherEnvWrapped = (await net.client.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[1]!.keyId, ageRecipient: mine.recipient }).promise())
    .wrappedKeyShare;
  const otherEnv = JSON.parse(new TextDecoder().decode(await unwrap(otherEnvWrapped, { identities: [mine.identity] }))) as Record<string, unknown>;
  await expectCode(importShare(await rewrap({ ...env, signingShare: otherEnv['signingShare'] })), 'SHARE_INVALID', 'share does not match its verifying share');
  // Verifying shares inconsistent with the group key.
  const vs = { ...(env['verifyingShares'] as Record<string, string>) };
  const ids = Object.keys(vs);
  [vs[ids[1]!], vs[ids[2]!]] = [vs[ids[2]!]!, vs[ids[1]!]!];
  await expectCode(importShare(await rewrap({ ...env, verifyingShares: vs })), 'SHARE_INVALID', 'verifying shares inconsistent');
  await expectCode(importShare(await rewrap(envelopeText.replace('{', '{ '))), 'SHARE_INVALID', 'non-canonical JSON');

  assert.deepEqual(await shareSet(), before);
});

test('a 16 MiB blob is PAYLOAD_TOO_LARGE and the server keeps answering', async () => {
  const big = 'A'.repeat(16 * 1024 * 1024);
  // The SDK refuses it before sending anything.
  await expectCode(importShare(big), 'PAYLOAD_TOO_LARGE', 'SDK, 16 MiB');
  // Raw clients that send the whole body anyway, several at once, with its
  // length or chunked without one, each read the server's answer: no reset.
  const url = `${net.baseUrl}/v1/components/IMPORT_KEY_SHARE`;
  const body = JSON.stringify({ wrappedKeyShare: big });
  const auth = signed(net.apiKey, 'IMPORT_KEY_SHARE', body);
  const answers = await Promise.all([
    ...[1, 2, 3].map(() => rawPost(url, body, auth)),
    rawPost(url, body, auth, { chunked: true }),
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body }).then(async (res) => ({
      status: res.status,
      body: await res.text(),
    })),
  ]);
  for (const r of answers) {
    assert.equal(r.status, 413);
    assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'PAYLOAD_TOO_LARGE');
  }
  const nodes = await net.client.call(ComponentModule.LIST_NODES, {}).promise();
  assert.ok(nodes.nodes.every((n) => n.status === 'up'));
});

test('a client that goes on sending an endless body gets its answer at once and loses the connection within seconds', async () => {
  const url = `${net.baseUrl}/v1/components/IMPORT_KEY_SHARE`;
  const [tooLarge, noKey] = await Promise.all([endlessUpload(url, signed(net.apiKey, 'IMPORT_KEY_SHARE', ''), 30_000), endlessUpload(url, {}, 30_000)]);
  assert.match(tooLarge.statusLine, /^HTTP\/1\.1 413 /);
  assert.match(noKey.statusLine, /^HTTP\/1\.1 401 /);
  for (const r of [tooLarge, noKey]) assert.ok(r.openMs < 15_000, `the server kept the connection ${r.openMs} ms`);
  const nodes = await net.client.call(ComponentModule.LIST_NODES, {}).promise();
  assert.ok(nodes.nodes.every((n) => n.status === 'up'));
});

test('bad parameters are INVALID_ARGUMENT naming the parameter; unknown ids are NOT_FOUND', async () => {
  const cases: [string, string | object, string | undefined][] = [
    ['EXPORT_KEY_SHARE', { ageRecipient: node4 }, 'keyId'],
    ['EXPORT_KEY_SHARE', { keyId: key.shares[0]!.keyId, ageRecipient: node4, extra: 1 }, 'extra'],
    ['EXPORT_KEY_SHARE', { keyId: 42, ageRecipient: node4 }, 'keyId'],
    ['CREATE_KEY', { scheme: 'frost-ed25519', threshold: '2' }, 'threshold'],
    ['CREATE_KEY', { scheme: 'rsa', threshold: 2 }, 'scheme'],
    ['SIGN', { keyIds: [key.shares[0]!.keyId, key.shares[1]!.keyId], message: 'not hex' }, 'message'],
    ['SIGN', '{"keyIds": [', 'body'],
  ];
  for (const [component, body, param] of cases) {
    const r = await rawCall(net.baseUrl, component, body, signed(net.apiKey, component, body));
    assert.equal(r.status, 400, `${component} ${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.json.error?.code, 'INVALID_ARGUMENT');
    if (param) assert.equal(r.json.error?.param, param, r.text);
  }
  await expectCode(
    net.client.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: 'age1notarecipient' }).promise(),
    'INVALID_ARGUMENT',
    'malformed recipient',
  );
  await expectCode(
    net.client.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: node4.toUpperCase() }).promise(),
    'INVALID_ARGUMENT',
    'uppercase recipient',
  );
  await expectCode(
    net.client.call(ComponentModule.REWRAPPING_KEY_SHARE, { ageIdentity: 'AGE-SECRET-KEY-1NOTANIDENTITY', wrappedKeyShare: 'x' }).promise(),
    'INVALID_ARGUMENT',
    'malformed identity',
  );
  await expectCode(net.client.call(ComponentModule.GET_KEY, { keyId: 'key_' + 'a'.repeat(26) }).promise(), 'NOT_FOUND', 'unknown keyId');
  await expectCode(net.client.call(ComponentModule.SIGN, { keyIds: [key.shares[0]!.keyId], message: 'ab' }).promise(), 'INVALID_ARGUMENT', 'below threshold');
  // A quorum with a repeated identifier: the original share and its migrated copy.
  const wrapped = (await net.client.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: node4 }).promise()).wrappedKeyShare;
  const copy = await importShare(wrapped);
  await expectCode(
    net.client.call(ComponentModule.SIGN, { keyIds: [key.shares[0]!.keyId, copy.keyId], message: 'ab' }).promise(),
    'INVALID_ARGUMENT',
    'repeated identifier',
  );
  await net.client.call(ComponentModule.DELETE_KEY_SHARE, { keyId: copy.keyId }).promise();
});

test('access: no key, a wrong key, a missing scope, a non-exportable key, and a node called directly', async () => {
  const noKey = await rawCall(net.baseUrl, 'LIST_NODES', {});
  assert.equal(noKey.status, 401);
  assert.equal(noKey.json.error?.code, 'UNAUTHENTICATED');
  await expectCode(
    new WorkspaceClient({ apiKey: 'wr_' + '0'.repeat(40), baseUrl: net.baseUrl }).call(ComponentModule.LIST_NODES, {}).promise(),
    'UNAUTHENTICATED',
    'wrong key',
  );

  const reader = generateApiKey();
  await net.client
    .call(ComponentModule.CREATE_API_KEY, { name: 'reader', scopes: ['keys:read', 'nodes:read', 'keys:sign'], publicKey: reader.publicKey })
    .promise();
  const limited = new WorkspaceClient({ apiKey: reader.apiKey, baseUrl: net.baseUrl });
  await limited.call(ComponentModule.GET_KEY, { keyId: key.shares[0]!.keyId }).promise();
  await expectCode(
    limited.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: node4 }).promise(),
    'PERMISSION_DENIED',
    'export needs keys:export',
  );
  await expectCode(limited.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: 'x' }).promise(), 'PERMISSION_DENIED', 'import needs keys:import');

  await expectCode(
    net.client.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: locked.shares[0]!.keyId, ageRecipient: node4 }).promise(),
    'NOT_EXPORTABLE',
    'exportable: false',
  );

  const nodeUrl = net.nodes.get('node-1')!.url;
  for (const [method, path] of [
    ['GET', '/v1/info'],
    ['GET', '/v1/shares'],
    ['POST', `/v1/shares/${key.shares[0]!.keyId}/export`],
  ] as const) {
    // The workspace's certificate with a wrong credential: the bearer token is a second factor beside mutual TLS.
    const r = await relayFetch(net.dir)(nodeUrl + path, {
      method,
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-the-token' },
      ...(method === 'POST' ? { body: JSON.stringify({ recipients: [mine.recipient] }) } : {}),
    });
    assert.equal(r.status, 401, `${method} ${path}`);
    const body = (await r.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'UNAUTHENTICATED');
    assert.deepEqual(Object.keys(body), ['error']);
  }
});
