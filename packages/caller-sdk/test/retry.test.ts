/**
 * The SDK rides out a workspace restart: connection failures and answers
 * marked retryable are retried for `retryWindowMs` with the same idempotency
 * key; Retry-After is honoured; a workspace never reached is WORKSPACE_UNAVAILABLE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkspaceClient, WorkspaceError, generateApiKey } from '../src/index.js';

const apiKey = generateApiKey().apiKey;

function server(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => handle(req, res));
  });
  return s;
}
const listen = (s: ReturnType<typeof server>, port = 0) => new Promise<number>((r) => s.listen(port, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
const close = (s: ReturnType<typeof server>) => new Promise<void>((r) => s.close(() => r()));
const free = async () => {
  const s = server(() => undefined);
  const port = await listen(s);
  await close(s);
  return port;
};

test('a workspace that is down for 1.5 s and comes back: the call succeeds, every attempt with the same idempotency key', async () => {
  const port = await free();
  const keys: string[] = [];
  const s = server((req, res) => {
    keys.push(String(req.headers['idempotency-key']));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[],"unavailableNodes":[]}');
  });
  const client = new WorkspaceClient({ apiKey, baseUrl: `http://127.0.0.1:${port}`, retryWindowMs: 10_000 });
  const started = Date.now();
  const call = client.call('CREATE_KEY', { scheme: 'frost-ed25519', threshold: 2 }, { idempotencyKey: 'idem-1' });
  const result = call.promise();
  await new Promise((r) => setTimeout(r, 1500));
  await listen(s, port);
  try {
    await result;
    assert.ok(Date.now() - started >= 1500);
    assert.deepEqual(keys, ['idem-1']);
  } finally {
    await close(s);
  }
});

test('a workspace never reached fails as WORKSPACE_UNAVAILABLE once the window is spent, not before', async () => {
  const port = await free();
  const client = new WorkspaceClient({ apiKey, baseUrl: `http://127.0.0.1:${port}`, retryWindowMs: 800 });
  const started = Date.now();
  const err = await client
    .call('LIST_NODES', {})
    .promise()
    .then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
  const took = Date.now() - started;
  assert.ok(err instanceof WorkspaceError);
  assert.deepEqual([err.code, err.retryable], ['WORKSPACE_UNAVAILABLE', true]);
  assert.ok(took >= 300 && took <= 1500, `retried within the window (${took} ms)`);
});

test('a 503 with Retry-After waits that long; a draining answer (WORKSPACE_UNAVAILABLE, retryable) is retried', async () => {
  let calls = 0;
  const at: number[] = [];
  const s = server((_req, res) => {
    at.push(Date.now());
    if (calls++ === 0) {
      const body = { error: { code: 'WORKSPACE_UNAVAILABLE', message: 'shutting down', retryable: true } };
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', connection: 'close' }).end(JSON.stringify(body));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"nodes":[]}');
  });
  const port = await listen(s);
  try {
    const client = new WorkspaceClient({ apiKey, baseUrl: `http://127.0.0.1:${port}`, retryWindowMs: 5_000 });
    assert.deepEqual(await client.call('LIST_NODES', {}).promise(), { nodes: [] });
    assert.equal(calls, 2);
    assert.ok(at[1]! - at[0]! >= 950, `waited the Retry-After (${at[1]! - at[0]!} ms)`);
  } finally {
    await close(s);
  }
});

test('a Retry-After past the window is not waited for: the error comes at once', async () => {
  const s = server((_req, res) => {
    const body = { error: { code: 'WORKSPACE_UNAVAILABLE', message: 'shutting down', retryable: true } };
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '30' }).end(JSON.stringify(body));
  });
  const port = await listen(s);
  try {
    const client = new WorkspaceClient({ apiKey, baseUrl: `http://127.0.0.1:${port}`, retryWindowMs: 2_000 });
    const started = Date.now();
    await assert.rejects(client.call('LIST_NODES', {}).promise(), { code: 'WORKSPACE_UNAVAILABLE' });
    assert.ok(Date.now() - started < 1000);
  } finally {
    await close(s);
  }
});
