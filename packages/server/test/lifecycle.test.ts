/**
 * Why a server could not start, as a code: the one place a failed listen is
 * recognised (listen, checkPortFree), a data directory that cannot be used, a bad master key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WrError } from '@wr/common';
import { openDatabase } from '../src/database.js';
import { createHttpServer } from '../src/http.js';
import { checkPortFree, listen } from '../src/lifecycle.js';
import { loadMasterKey } from '../src/master-key.js';

const app = () => createHttpServer({ service: 'test', bodyLimit: 1024, log: false }).app;

test('listening on a port already taken is PORT_IN_USE, and the server that could not listen is closed', async () => {
  const first = app();
  const url = await listen(first, '127.0.0.1', 0);
  const port = Number(new URL(url).port);
  const second = app();
  let closed = false;
  second.addHook('onClose', async () => {
    closed = true;
  });
  try {
    await assert.rejects(listen(second, '127.0.0.1', port), (err: unknown) => {
      assert.ok(err instanceof WrError);
      assert.equal(err.code, 'PORT_IN_USE');
      assert.equal(err.param, 'port');
      assert.match(err.message, new RegExp(`^port ${port} on 127.0.0.1 is already in use`));
      return true;
    });
    assert.ok(closed, 'its files and timers are released');
    await assert.rejects(checkPortFree('127.0.0.1', port), { code: 'PORT_IN_USE' });
  } finally {
    await first.close();
  }
  await checkPortFree('127.0.0.1', port);
});

test('a host that is not this machine is CONFIG_INVALID', async () => {
  await assert.rejects(listen(app(), '192.0.2.1', 0), { code: 'CONFIG_INVALID', param: 'host' });
});

test('a database that cannot be opened is DATA_DIR_UNUSABLE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wr-lifecycle-'));
  try {
    writeFileSync(join(dir, 'file'), 'not a directory');
    assert.throws(() => openDatabase(join(dir, 'file', 'node.db')), { code: 'DATA_DIR_UNUSABLE' });
    writeFileSync(join(dir, 'foreign.db'), 'x'.repeat(4096));
    assert.throws(
      () => openDatabase(join(dir, 'foreign.db')),
      (err: WrError) => err.code === 'DATA_DIR_UNUSABLE' && /SQLITE_NOTADB/.test(err.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a master key that cannot be read or made is DATA_DIR_UNUSABLE; a malformed one in the environment is CONFIG_INVALID', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wr-lifecycle-'));
  try {
    writeFileSync(join(dir, 'file'), 'not a directory');
    assert.throws(() => loadMasterKey({ file: join(dir, 'file', 'master.key'), create: true }), { code: 'DATA_DIR_UNUSABLE' });
    assert.throws(() => loadMasterKey({ file: join(dir, 'none.key'), create: false }), { code: 'DATA_DIR_UNUSABLE' });
    writeFileSync(join(dir, 'short.key'), 'abcd');
    assert.throws(() => loadMasterKey({ file: join(dir, 'short.key'), create: false }), { code: 'DATA_DIR_UNUSABLE' });
    assert.throws(() => loadMasterKey({ envValue: 'not hex', file: join(dir, 'unused.key'), create: true }), { code: 'CONFIG_INVALID', param: 'masterKey' });
    assert.equal(loadMasterKey({ file: join(dir, 'made.key'), create: true }).expose().length, 32);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
