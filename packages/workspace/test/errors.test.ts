/**
 * Error rendering, through app.inject(): whatever goes wrong, the caller gets
 * the code's HTTP status and @wr/api's ErrorBody, whose request id is the
 * x-request-id header's; and /openapi.json publishes that same schema.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readErrorBody } from '@wr/api';
import { ERROR_CODES, type ErrorCode } from '@wr/common';
import { newApiKey, startTestWorkspace, type Answer, type TestWorkspace } from './support.js';

let ws: TestWorkspace;
before(async () => {
  ws = await startTestWorkspace();
});
after(() => ws?.close());

/** The answer is `code` with its status, in the one error body, with its request id; returns the error. */
function refused(r: Answer, code: ErrorCode) {
  assert.equal(r.status, ERROR_CODES[code].status, JSON.stringify(r.json));
  const error = readErrorBody(r.json);
  assert.ok(error, `an ErrorBody: ${JSON.stringify(r.json)}`);
  assert.equal(error.code, code);
  assert.equal(error.requestId, r.headers['x-request-id']);
  return error;
}

test('an unknown component or route is NOT_FOUND, naming the components that exist', async () => {
  const e = refused(await ws.call('NO_SUCH_THING', {}), 'NOT_FOUND');
  assert.match(e.message, /no component NO_SUCH_THING; known: .*CREATE_KEY/);
  const r = await ws.app.inject({ method: 'GET', url: '/v1/nowhere' });
  refused({ status: r.statusCode, headers: r.headers, json: r.json() }, 'NOT_FOUND');
});

test('a bad body is INVALID_ARGUMENT naming the parameter', async () => {
  const unknownField = refused(await ws.call('LIST_KEYS', { nodeId: 'node-1', colour: 'red' }), 'INVALID_ARGUMENT');
  assert.equal(unknownField.param, 'colour');
  assert.match(unknownField.message, /colour: is not a known parameter/);
  assert.equal(refused(await ws.call('CREATE_KEY', { scheme: 'rsa', threshold: 2 }), 'INVALID_ARGUMENT').param, 'scheme');
  assert.equal(refused(await ws.call('LIST_KEYS', '{"nodeId":'), 'INVALID_ARGUMENT').param, 'body');
  assert.equal(refused(await ws.call('CREATE_KEY', { scheme: 'frost-ed25519', threshold: 3 }), 'INVALID_ARGUMENT').param, 'threshold');
});

test('an unsigned call, a bad signature, an unknown key: UNAUTHENTICATED; a missing scope: PERMISSION_DENIED', async () => {
  assert.match(refused(await ws.call('LIST_NODES', {}, { signed: false }), 'UNAUTHENTICATED').message, /not signed/);
  const altered = refused(await ws.call('LIST_KEYS', { nodeId: 'node-2' }, { signed: JSON.stringify({ nodeId: 'node-1' }) }), 'UNAUTHENTICATED');
  assert.match(altered.message, /does not verify/);
  refused(await ws.call('LIST_NODES', {}, { key: newApiKey() }), 'UNAUTHENTICATED');

  const reader = newApiKey();
  await ws.call('CREATE_API_KEY', { name: 'reader', scopes: ['keys:read'], publicKey: reader.publicKey });
  const denied = refused(await ws.call('CREATE_KEY', { scheme: 'frost-ed25519', threshold: 2 }, { key: reader }), 'PERMISSION_DENIED');
  assert.equal(denied.retryable, undefined, 'retryable is sent only when true');
});

test('/openapi.json publishes the one error body, every code, and the replay header', async () => {
  const doc = (await ws.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const detail = doc.components.schemas.ErrorBody.properties.error;
  assert.deepEqual(
    detail.properties.code.anyOf.map((c: { const: string }) => c.const),
    Object.keys(ERROR_CODES),
  );
  assert.deepEqual(Object.keys(detail.properties), ['code', 'message', 'param', 'requestId', 'retryable', 'replayed']);
  const createKey = doc.paths['/v1/components/CREATE_KEY'].post.responses;
  assert.deepEqual(createKey.default.content['application/json'].schema, { $ref: '#/components/schemas/ErrorBody' });
  assert.ok(createKey['200'].headers['idempotent-replayed'], 'a mutating component documents the replay header');
  assert.equal(doc.paths['/v1/components/LIST_KEYS'].post.responses['200'].headers, undefined);
});
