/**
 * The SDK reads a failed answer through @wr/api's ErrorBody: the same code,
 * message, param and retryable the server rendered; anything else is INTERNAL.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorBody } from '@wr/api';
import { WorkspaceClient, WorkspaceError, generateApiKey } from '../src/index.js';

/** What the fake workspace answers next: a status and a body. */
let answer: { status: number; body: unknown } = { status: 200, body: {} };
let calls = 0;
let server: Server;
let client: WorkspaceClient;

before(async () => {
  server = createServer((req, res) => {
    calls++;
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, { 'content-type': 'application/json', 'x-request-id': 'req_test' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new WorkspaceClient({ apiKey: generateApiKey().apiKey, baseUrl: `http://127.0.0.1:${port}`, maxRetries: 1 });
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const failure = async () => {
  calls = 0;
  const err = await client
    .call('LIST_NODES', {})
    .promise()
    .then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
  assert.ok(err instanceof WorkspaceError);
  return err;
};

test('an ErrorBody becomes a WorkspaceError with its code, message, param and request id', async () => {
  const body: ErrorBody = { error: { code: 'INVALID_ARGUMENT', message: 'nodeId: is invalid', requestId: 'req_test', param: 'nodeId' } };
  answer = { status: 400, body };
  const err = await failure();
  const seen = [err.code, err.message, err.param, err.requestId, err.httpStatus, err.retryable];
  assert.deepEqual(seen, ['INVALID_ARGUMENT', 'nodeId: is invalid', 'nodeId', 'req_test', 400, false]);
  assert.equal(calls, 1, 'not retried');
});

test('retryable: true is retried, then raised as retryable', async () => {
  const body: ErrorBody = { error: { code: 'CONFLICT', message: 'still running', requestId: 'req_test', retryable: true } };
  answer = { status: 409, body };
  const err = await failure();
  assert.deepEqual([err.code, err.retryable, calls], ['CONFLICT', true, 2]);
});

test('a body that is not an ErrorBody (an unknown code, a stray field) is INTERNAL', async () => {
  answer = { status: 418, body: { error: { code: 'TEAPOT', message: 'short and stout' } } };
  assert.equal((await failure()).code, 'INTERNAL');
  answer = { status: 404, body: { error: { code: 'NOT_FOUND', message: 'gone', extra: 1 } } };
  const err = await failure();
  assert.deepEqual([err.code, err.httpStatus], ['INTERNAL', 404]);
  assert.match(err.message, /HTTP 404 without an error body/);
});
