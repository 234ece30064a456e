/** The console's files as the workspace serves them, on the app itself (inject, no socket), from a folder made here. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpServer } from '@wr/server';
import { serveConsole } from '../src/console-assets.js';

function appWith(dir: string) {
  const { app } = createHttpServer({ service: 'workspace', bodyLimit: 1024, log: false });
  serveConsole(app, dir);
  return app;
}

test('a built console: its files with their types and caching, index.html for its paths, 404 for API paths and missing files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wr-console-'));
  try {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'index-abc123.css'), 'body{}');
    writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
    const app = appWith(dir);
    const root = await app.inject({ url: '/' });
    assert.equal(root.statusCode, 200);
    assert.equal(root.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(root.headers['cache-control'], 'no-cache');
    assert.match(String(root.headers['content-security-policy']), /^default-src 'self';.*script-src 'self';.*frame-ancestors 'none'/);
    assert.equal(root.headers['x-content-type-options'], 'nosniff');
    const js = await app.inject({ url: '/assets/index-abc123.js' });
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.body, 'console.log(1)');
    assert.equal((await app.inject({ url: '/assets/index-abc123.css' })).headers['content-type'], 'text/css; charset=utf-8');
    assert.equal((await app.inject({ url: '/favicon.svg' })).headers['content-type'], 'image/svg+xml');
    // Files are looked up by exact path among those read at start: a path that climbs out finds nothing but the page.
    for (const path of ['/keys', '/approvals?x=1', '/workflows/anything', '/../../etc/passwd', '/assets/../../../etc/passwd']) {
      const page = await app.inject({ url: path });
      assert.equal(page.statusCode, 200, path);
      assert.equal(page.body, root.body, `${path} answers index.html`);
    }
    for (const path of ['/v1/components', '/v1/nowhere', '/assets/gone.js', '/nothing.png']) {
      const missing = await app.inject({ url: path });
      assert.equal(missing.statusCode, 404, path);
      assert.equal(missing.json().error.code, 'NOT_FOUND', path);
    }
    await app.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no built console: / says to run npm run build', async () => {
  const app = appWith(join(tmpdir(), 'wr-console-not-built-nowhere'));
  const root = await app.inject({ url: '/' });
  assert.equal(root.statusCode, 404);
  assert.match(root.headers['content-type'] as string, /^text\/html/);
  assert.match(root.body, /npm run build/);
  assert.match(String(root.headers['content-security-policy']), /default-src 'self'/);
  await app.close();
});
