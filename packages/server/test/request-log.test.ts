/** Logs fit for production: a line per request at debug only, summaries at info, no header in any line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createHttpServer } from '../src/http.js';

async function linesAt(level: string): Promise<Record<string, unknown>[]> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const { app } = createHttpServer({ service: 'test', bodyLimit: 1024, log: out, logLevel: level });
  await app.inject({ method: 'GET', url: '/healthz', headers: { authorization: 'Bearer s3cret-token' } });
  await app.inject({ method: 'GET', url: '/nowhere?cursor=x' });
  await app.close();
  assert.ok(!text.includes('s3cret-token'), 'no credential in any line');
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('at debug, one line per request (method, path, status, time) with its request id; at close, a summary at info', async () => {
  const lines = await linesAt('debug');
  const requests = lines.filter((l) => l['msg'] === 'request');
  assert.deepEqual(
    requests.map((l) => [l['level'], (l['req'] as { url: string }).url, (l['res'] as { statusCode: number }).statusCode]),
    [
      [20, '/healthz', 200],
      [20, '/nowhere', 404],
    ],
  );
  for (const l of requests) assert.match(String(l['reqId']), /^req_/);
  const summary = lines.find((l) => /requests in the last/.test(String(l['msg'])));
  assert.deepEqual([summary?.['level'], summary?.['requests'], summary?.['2xx'], summary?.['4xx']], [30, 2, 1, 1]);
});

test('at info, a request leaves no line of its own: only the summary', async () => {
  const lines = await linesAt('info');
  assert.deepEqual(
    lines.map((l) => l['msg']),
    ['2 requests in the last 0 s'],
  );
});
