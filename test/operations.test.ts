/** What an operator runs the servers with: health, readiness, metrics, OpenAPI, JSON logs, graceful shutdown. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENTS, ComponentModule, WorkspaceClient } from 'caller-sdk';
import { relayFetch, startTestNetwork, type TestNetwork } from '@wr/cli/test-network';

let net: TestNetwork;
before(async () => {
  net = await startTestNetwork('ops');
});
after(async () => {
  await net?.cleanup();
});

test('healthz and readyz answer; readyz reports a node that is down', async () => {
  assert.equal((await fetch(`${net.baseUrl}/healthz`)).status, 200);
  const ready = await fetch(`${net.baseUrl}/readyz`);
  assert.equal(ready.status, 200);
  await net.killNode('node-3', 'SIGTERM');
  const notReady = await fetch(`${net.baseUrl}/readyz`);
  assert.equal(notReady.status, 503);
  assert.deepEqual(((await notReady.json()) as { nodesDown: string[] }).nodesDown, ['node-3']);
  await net.startNode('node-3');
  assert.equal((await fetch(`${net.baseUrl}/readyz`)).status, 200);
});

test('metrics count calls by component and code, with latency histograms and shares per node', async () => {
  const key = await net.client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise();
  await assert.rejects(net.client.call(ComponentModule.GET_KEY, { keyId: 'key_' + 'z'.repeat(26) }).promise());
  // A scraper presents its own credential; without it, /metrics says nothing.
  const bare = await fetch(`${net.baseUrl}/metrics`);
  assert.equal(bare.status, 401);
  assert.equal(((await bare.json()) as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
  const metricsToken = readFileSync(join(net.dir, 'workspace', 'metrics.token'), 'utf8').trim();
  const text = await (await fetch(`${net.baseUrl}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
  assert.match(text, /wr_calls_total\{operation="CREATE_KEY",code="OK"\} 1/);
  assert.match(text, /wr_calls_total\{operation="GET_KEY",code="NOT_FOUND"\} 1/);
  assert.match(text, /wr_call_seconds_bucket\{le="0.1",operation="CREATE_KEY"\}/);
  const node = net.nodes.get('node-1')!;
  const token = readFileSync(join(net.dir, 'node-1', 'workspace.token'), 'utf8').trim();
  const nodeMetrics = await (await relayFetch(net.dir)(`${node.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  assert.match(nodeMetrics, /wr_shares_held \d+/);
  assert.ok(key.shares.length === 2);
});

test('the OpenAPI document lists every component with the schemas that validate it', async () => {
  const doc = (await (await fetch(`${net.baseUrl}/openapi.json`)).json()) as {
    openapi: string;
    paths: Record<string, { post: { operationId: string; requestBody: { content: { 'application/json': { schema: { additionalProperties: boolean } } } } } }>;
  };
  assert.equal(doc.openapi, '3.1.0');
  for (const name of Object.keys(COMPONENTS)) {
    const op = doc.paths[`/v1/components/${name}`]?.post;
    assert.equal(op?.operationId, name);
    assert.equal(op?.requestBody.content['application/json'].schema.additionalProperties, false);
  }
});

test('every log line is JSON; at info a request leaves no line of its own, only summaries; no line carries the API key', async () => {
  await net.client.call(ComponentModule.LIST_NODES, {}).promise();
  const lines = readFileSync(join(net.dir, 'logs', 'workspace.log'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{')); // node's own warnings (deprecations) come as text on stderr
  const parsed = lines.map((l) => JSON.parse(l) as { level: number; service?: string; req?: unknown });
  assert.ok(parsed.length > 0);
  for (const l of parsed) assert.equal(l.service, 'workspace');
  assert.deepEqual(
    parsed.filter((l) => l.req !== undefined || l.level < 30),
    [],
    'per-request lines are at debug, below the default level',
  );
  assert.ok(!lines.join('\n').includes(net.apiKey));
});

test('a workspace told to stop finishes the call in flight first, then exits at once', async () => {
  const once = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, maxRetries: 0 });
  const call = once.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
  // CREATE_KEY takes well over 100 ms: the request has arrived and is running when the signal comes.
  await new Promise((r) => setTimeout(r, 60));
  const signalled = Date.now();
  const stopped = net.killWorkspace('SIGTERM');
  const key = await call;
  assert.equal(key.shares.length, 3);
  await stopped;
  assert.equal(net.workspace.process.exitCode, 0);
  // The caller's keep-alive connection does not hold the shutdown open (its timeout is 72 s).
  assert.ok(Date.now() - signalled < 10_000, `stopping took ${Date.now() - signalled} ms`);
});
