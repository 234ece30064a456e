// The console's browser signing (WebCrypto) against the SDK's (node:crypto): the same message, byte for byte,
// and, Ed25519 being deterministic, the same signature headers for the same call and time.
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callMessage as apiCallMessage } from '@wr/api';
import { ApiKey, generateApiKey, signedHeaders as sdkSignedHeaders } from 'caller-sdk';
import { callMessage, importSeed, parseSignInFragment, signedHeaders } from '../src/api/sign.js';

const seedOf = (apiKey: string) => new Uint8Array(createHash('sha256').update(`wr-api-key-seed-v1\n${apiKey}`).digest());

test('callMessage equals @wr/api callMessage for the same call, non-ASCII body included', async () => {
  for (const body of ['{}', '{"keyId":"key_abc","note":"ünïcødé ✓"}', '']) {
    const c = { component: 'EXPORT_KEY_SHARE', idempotencyKey: 'wf.run-1.export', timestamp: 1_700_000_000_123, body };
    assert.deepEqual(Buffer.from(await callMessage(c)), Buffer.from(apiCallMessage(c)));
  }
});

test('signedHeaders equal the SDK signedHeaders for the same key, call and time', async () => {
  const { apiKey, apiKeyId } = generateApiKey();
  const privateKey = await importSeed(seedOf(apiKey));
  assert.equal(privateKey.extractable, false);
  const call = { component: 'LIST_KEYS', idempotencyKey: 'idem-1', body: '{"limit":5}' };
  const timestamp = 1_700_000_000_000;
  const ours = await signedHeaders({ apiKeyId, privateKey }, call, timestamp);
  const sdk = new ApiKey(apiKey).sign(call.component, call.body, call.idempotencyKey, timestamp);
  assert.equal(ours['wr-signature'], sdk.signature);
  assert.deepEqual(ours, {
    ...sdkSignedHeaders(new ApiKey(apiKey), call.component, call.body, call.idempotencyKey),
    'wr-timestamp': String(timestamp),
    'wr-signature': sdk.signature,
  });
});

test('parseSignInFragment reads the dev link and refuses a malformed one', () => {
  const seed = new Uint8Array(32).fill(7);
  const link = `#signin=ak_abcdefghijklmnop.${Buffer.from(seed).toString('base64url')}`;
  assert.deepEqual(parseSignInFragment(link), { apiKeyId: 'ak_abcdefghijklmnop', seed });
  assert.equal(parseSignInFragment('#/keys'), undefined);
  assert.throws(() => parseSignInFragment('#signin=ak_abcdefghijklmnop.AAAA'), /32-byte/);
  assert.throws(() => parseSignInFragment('#signin=nope.' + Buffer.from(seed).toString('base64url')), /malformed/);
});

test("the SDK's console sign-in link (wr console, wr dev) holds the key's own seed: the console signs as the SDK does", async () => {
  const { apiKey, apiKeyId } = generateApiKey();
  const link = new ApiKey(apiKey).consoleSignInLink('http://127.0.0.1:7400/');
  assert.ok(link.startsWith(`http://127.0.0.1:7400/#signin=${apiKeyId}.`));
  const parsed = parseSignInFragment(new URL(link).hash)!;
  assert.equal(parsed.apiKeyId, apiKeyId);
  const call = { component: 'LIST_NODES', idempotencyKey: 'idem-2', body: '{}' };
  const ours = await signedHeaders({ apiKeyId, privateKey: await importSeed(parsed.seed) }, call, 1_700_000_000_000);
  assert.equal(ours['wr-signature'], new ApiKey(apiKey).sign(call.component, call.body, call.idempotencyKey, 1_700_000_000_000).signature);
});
