/** A node that cannot start says why with a code: its port taken, its data directory unusable. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, publicKeyOfSeed, toHex } from '@wr/common';
import { buildNode, startNode } from '../src/server.js';
import type { NodeConfig } from '../src/config.js';

const config = (dir: string, nodeId: string): NodeConfig => ({
  nodeId,
  host: '127.0.0.1',
  port: 0,
  databaseFile: join(dir, `${nodeId}.db`),
  masterKey: new Secret(new Uint8Array(randomBytes(32))),
  authToken: new Secret('workspace-credential'),
  adminPublicKey: toHex(publicKeyOfSeed(new Secret(new Uint8Array(randomBytes(32))))),
  log: false,
});

test('a port already taken is PORT_IN_USE; a data directory that is a file is DATA_DIR_UNUSABLE', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wr-node-startup-'));
  const first = await startNode(config(dir, 'node-1'));
  try {
    const port = Number(new URL(first.url).port);
    await assert.rejects(startNode({ ...config(dir, 'node-2'), port }), { code: 'PORT_IN_USE', param: 'port' });
    writeFileSync(join(dir, 'a-file'), '');
    await assert.rejects(buildNode({ ...config(dir, 'node-3'), databaseFile: join(dir, 'a-file', 'node.db') }), { code: 'DATA_DIR_UNUSABLE' });
  } finally {
    await first.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
