/**
 * A busy workspace (RESOURCE_EXHAUSTED, 503, Retry-After): the SDK waits at
 * least Retry-After, then sends the same call again, signed afresh, under the
 * same idempotency key; with retries off it raises the code at once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AUTH_HEADERS, type ErrorBody } from '@wr/api';
import { WorkspaceClient, WorkspaceError, generateApiKey } from '../src/index.js';

/** How many attempts the fake workspace refuses before it answers. */
let refusals = 0;
let attempts: { at: number; idempotencyKey: string; signature: string }[] = [];
let server: Server;
let baseUrl: string;

const busy: ErrorBody = { error: { code: 'RESOURCE_EXHAUSTED', message: 'SIGN and CREATE_KEY calls are at their bound', retryable: true } };

before(async () => {
  server = createServer((req, res) => {
    attempts.push({
      at: performance.now(),
      idempotencyKey: String(req.headers[AUTH_HEADERS.idempotencyKey]),
      signature: String(req.headers[AUTH_HEADERS.signature]),
    });
    req.resume();
    req.on('end', () => {
      const refuse = attempts.length <= refusals;
      res.writeHead(refuse ? 503 : 200, { 'content-type': 'application/json', ...(refuse && { 'retry-after': '1' }) });
      res.end(JSON.stringify(refuse ? busy : { publicKey: 'ab'.repeat(32), signature: 'cd'.repeat(64) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const sign = (maxRetries: number) =>
  new WorkspaceClient({ apiKey: generateApiKey().apiKey, baseUrl, maxRetries }).call('SIGN', { keyIds: ['key_' + 'a'.repeat(26)], message: 'ab' }).promise();

test('RESOURCE_EXHAUSTED with Retry-After: 1 is retried after at least a second, with the same idempotency key and a fresh signature', async () => {
  attempts = [];
  refusals = 2;
  const result = await sign(3);
  assert.equal(result.signature, 'cd'.repeat(64));
  assert.equal(attempts.length, 3);
  for (let i = 1; i < attempts.length; i++) {
    const gap = attempts[i]!.at - attempts[i - 1]!.at;
    assert.ok(gap >= 1_000 && gap < 1_700, `waited ${gap.toFixed(0)} ms: Retry-After, spread by at most half again`);
    assert.equal(attempts[i]!.idempotencyKey, attempts[0]!.idempotencyKey);
    assert.notEqual(attempts[i]!.signature, attempts[i - 1]!.signature);
  }
});

test('with retries off, RESOURCE_EXHAUSTED is raised at once, retryable, with its status', async () => {
  attempts = [];
  refusals = 1;
  const err = await sign(0).then(
    () => assert.fail('expected RESOURCE_EXHAUSTED'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkspaceError);
  assert.equal(err.code, 'RESOURCE_EXHAUSTED');
  assert.equal(err.retryable, true);
  assert.equal(err.httpStatus, 503);
  assert.equal(attempts.length, 1);
});
