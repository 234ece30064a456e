// The wire contracts on their own: the signed-call message, API key ids,
// strict parameter parsing, the roster's signature, receipts and the node
// protocol's table. Frozen strings here are formats other processes sign or check.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';

import { Secret, WrError, publicKeyOfSeed, signRaw, toHex } from '@wr/common';

import {
  APPROVABLE,
  COMPONENTS,
  NODE_OPS,
  SCOPES,
  apiKeyIdOf,
  callDigest,
  callMessage,
  componentPath,
  openRoster,
  parseParams,
  readErrorBody,
  receiptMessage,
  rosterMessage,
  type Roster,
} from '../src/index.js';

const seed = new Secret(new Uint8Array(32).fill(7));
const publicKey = toHex(publicKeyOfSeed(seed));

describe('signed calls', () => {
  it('sign the component, idempotency key, time and the SHA-256 of the exact body bytes', () => {
    const body = '{"keyId":"key_00000000000000000000000000"}';
    const msg = callMessage({ component: 'GET_KEY', idempotencyKey: 'idem-1', timestamp: 1700000000000, body });
    const expected = Buffer.concat([Buffer.from('wr-call-v1\nGET_KEY\nidem-1\n1700000000000\n'), createHash('sha256').update(body).digest()]);
    assert.deepEqual(Buffer.from(msg), expected);
    const other = callMessage({ component: 'GET_KEY', idempotencyKey: 'idem-1', timestamp: 1700000000000, body: body + ' ' });
    assert.notDeepEqual(Buffer.from(other), expected, 'one more byte of body is another call');
  });

  it('name an API key by its public key, and a call by its signature', () => {
    const id = apiKeyIdOf(publicKey);
    assert.match(id, /^ak_[a-z2-7]{16}$/);
    assert.equal(apiKeyIdOf(publicKey), id);
    assert.notEqual(apiKeyIdOf('00'.repeat(32)), id);
    const auth = { apiKeyId: id, component: 'GET_KEY', idempotencyKey: 'k', timestamp: 1, body: '{}', signature: 'ab'.repeat(64) };
    assert.match(callDigest(auth), /^[0-9a-f]{64}$/);
    assert.notEqual(callDigest({ ...auth, signature: 'cd'.repeat(64) }), callDigest(auth));
  });

  it('parse a signed body strictly: schema, unknown fields and prototype keys are refused with the parameter named', () => {
    assert.deepEqual(parseParams('GET_KEY', '{"keyId":"key_00000000000000000000000000"}'), { keyId: 'key_00000000000000000000000000' });
    const refused = (body: string, param: string) =>
      assert.throws(
        () => parseParams('GET_KEY', body),
        (e: unknown) => e instanceof WrError && e.code === 'INVALID_ARGUMENT' && e.param === param,
      );
    refused('{"keyId":"KEY_1"}', 'keyId');
    refused('{"keyId":"key_00000000000000000000000000","extra":1}', 'extra');
    refused('{"__proto__":{"admin":true}}', 'body');
    refused('not json', 'body');
  });
});

describe('the component table', () => {
  it('gives every component a known scope, a summary and one path; approvable ones exist', () => {
    for (const [name, def] of Object.entries(COMPONENTS)) {
      assert.ok((SCOPES as readonly string[]).includes(def.scope), `${name}: scope ${def.scope}`);
      assert.ok(def.summary.length > 10, `${name} has a summary`);
      assert.equal(componentPath(name as keyof typeof COMPONENTS), `/v1/components/${name}`);
    }
    for (const name of APPROVABLE) assert.ok(Object.hasOwn(COMPONENTS, name), name);
  });

  it('gives every node operation its own method and path', () => {
    const routes = Object.values(NODE_OPS).map((op) => `${op.method} ${op.path}`);
    assert.equal(new Set(routes).size, routes.length);
  });
});

describe('the roster', () => {
  const roster: Roster = {
    version: 1,
    issuedAt: '2026-12-02T00:00:00Z',
    nodes: [{ nodeId: 'node-1', signingKey: publicKey, recipientKey: `age1${'q'.repeat(58)}`, postQuantumRecipientKey: 'age1pq1qqqq' }],
  };
  const text = JSON.stringify(roster);
  const signed = { roster: text, signature: toHex(signRaw(seed, rosterMessage(text))) };

  it('opens only under the admin key that signed it', () => {
    assert.deepEqual(openRoster(signed, publicKey), roster);
    assert.throws(() => openRoster(signed, '11'.repeat(32)), { code: 'PERMISSION_DENIED' });
    assert.throws(() => openRoster({ ...signed, roster: text.replace('node-1', 'node-9') }, publicKey), { code: 'PERMISSION_DENIED' });
  });

  it('refuses two nodes with one key, even when signed', () => {
    const twice = JSON.stringify({ ...roster, nodes: [roster.nodes[0], { ...roster.nodes[0], nodeId: 'node-2' }] });
    assert.throws(() => openRoster({ roster: twice, signature: toHex(signRaw(seed, rosterMessage(twice))) }, publicKey), {
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('receipts and error bodies', () => {
  it('sign receipt facts as canonical JSON, whatever order they were written in (frozen format)', () => {
    const facts = { kind: 'import', nodeId: 'node-4', keyId: 'key_1', publicKey: 'aa', identifier: 'bb' } as const;
    const text = Buffer.from(receiptMessage(facts)).toString();
    assert.equal(text, 'wr-node-receipt-v2\n{"identifier":"bb","keyId":"key_1","kind":"import","nodeId":"node-4","publicKey":"aa"}');
    const reordered = { identifier: 'bb', publicKey: 'aa', keyId: 'key_1', nodeId: 'node-4', kind: 'import' } as const;
    assert.equal(Buffer.from(receiptMessage(reordered)).toString(), text);
  });

  it('reads an error body only when it is one', () => {
    assert.deepEqual(readErrorBody({ error: { code: 'NOT_FOUND', message: 'no such key', requestId: 'req_1' } }), {
      code: 'NOT_FOUND',
      message: 'no such key',
      requestId: 'req_1',
    });
    assert.equal(readErrorBody({ error: { code: 'NO_SUCH_CODE', message: 'x' } }), undefined);
    assert.equal(readErrorBody({ error: { code: 'NOT_FOUND', message: 'x', stack: 'at ...' } }), undefined);
    assert.equal(readErrorBody('<html>'), undefined);
  });
});
