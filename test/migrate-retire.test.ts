/**
 * `wr migrate --retire-source` against a real network: a node's shares move by
 * RESHARE_KEY (same threshold, the source replaced by the target), not by
 * export and import. Afterwards the source holds nothing, each key signs with
 * the target's new share at the next epoch, every wrapped copy of the source's
 * old shares is refused (SHARE_STALE), the backups are complete at the new
 * epoch with the target's and not the source's, and a rerun moves nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { generateIdentity } from '@wr/age';
import { ComponentModule } from 'caller-sdk';
import { getScheme, type SchemeName } from '@wr/crypto';
import { fromHex } from '@wr/common';
import { ROOT, startTestNetwork, type TestNetwork } from '@wr/cli/test-network';

/** What `wr --json migrate --retire-source` prints (RetireSummary in packages/cli/src/migrate/retire-source.ts). */
interface RetireSummary {
  mode: string;
  shares: number;
  moved: number;
  failed: number;
  verified: number;
  keys: { publicKey: string; epoch: number; retiredKeyId: string; newKeyId: string }[];
}

let net: TestNetwork;

before(async () => {
  net = await startTestNetwork('migrate-retire', { nodeCount: 5 });
});
after(async () => {
  await net?.cleanup();
});

function wr(...args: string[]) {
  const env = { ...process.env, WR_BASE_URL: net.baseUrl, WR_API_KEY: net.apiKey, WR_ADMIN_PUBLIC_KEY: net.adminPublicKey };
  return spawnSync(process.execPath, [join(ROOT, 'packages', 'cli', 'bin', 'wr.js'), ...args], { env, encoding: 'utf8', cwd: net.home });
}

async function signs(scheme: SchemeName, publicKey: string, keyIds: string[]): Promise<void> {
  const message = Buffer.from(`after migrate ${Math.random()}`).toString('hex');
  const r = await net.client.call(ComponentModule.SIGN, { keyIds, message }).promise();
  assert.equal(getScheme(scheme).verify(fromHex(r.signature, 'signature'), fromHex(message, 'message'), fromHex(publicKey, 'publicKey')), true);
}

test('wr migrate --retire-source moves node-1 shares to node-4 by reshare: the old shares, copies and backups stop working', async () => {
  const c = net.client;
  const a = await c.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
  const b = await c.call(ComponentModule.CREATE_KEY, { scheme: 'frost-secp256k1', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise();
  const untouched = await c.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-2', 'node-3'] }).promise();
  const escrow = await generateIdentity('x25519');
  await c.call(ComponentModule.SET_BACKUP_POLICY, { publicKey: a.publicKey, recipients: [escrow.recipient] }).promise();
  const to5 = (await c.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-5' }).promise()).recipientKey;
  const oldCopies = await Promise.all(
    [a, b].map(async (k) => (await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: k.shares[0]!.keyId, ageRecipient: to5 }).promise()).wrappedKeyShare),
  );

  const run = wr('--json', 'migrate', '--from', 'node-1', '--to', 'node-4', '--retire-source');
  assert.equal(run.status, 0, run.stderr + run.stdout);
  const summary = JSON.parse(run.stdout) as RetireSummary;
  assert.deepEqual([summary.mode, summary.shares, summary.moved, summary.failed, summary.verified], ['retire-source', 2, 2, 0, 2]);

  // node-1 holds nothing now; node-4 holds each key at epoch 1, and it signs with the other holders.
  const onNode1 = await c.call(ComponentModule.LIST_KEYS, { nodeId: 'node-1' }).promise();
  assert.deepEqual(onNode1.keys, []);
  for (const [k, scheme] of [
    [a, 'frost-ed25519'],
    [b, 'frost-secp256k1'],
  ] as const) {
    const moved = summary.keys.find((x) => x.publicKey === k.publicKey)!;
    assert.equal(moved.retiredKeyId, k.shares[0]!.keyId);
    const info = await c.call(ComponentModule.GET_KEY, { keyId: moved.newKeyId }).promise();
    assert.deepEqual([info.nodeId, info.epoch, info.threshold], ['node-4', 1, 2]);
    await signs(scheme, k.publicKey, [moved.newKeyId, k.shares[1]!.keyId]);
    await assert.rejects(c.call(ComponentModule.GET_KEY, { keyId: k.shares[0]!.keyId }).promise(), { code: 'NOT_FOUND' });
  }
  // Every wrapped copy of the source's old shares is refused.
  for (const wrapped of oldCopies) {
    await assert.rejects(c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: wrapped, nodeId: 'node-5' }).promise(), { code: 'SHARE_STALE' });
  }
  // The backups followed: node-4's at epoch 1 beside the staying holders', none left from node-1.
  const backups = await c.call(ComponentModule.LIST_BACKUPS, { publicKey: a.publicKey }).promise();
  assert.equal(backups.epoch, 1);
  assert.deepEqual(backups.backups.map((x) => [x.nodeId, x.epoch]).sort(), [
    ['node-2', 1],
    ['node-3', 1],
    ['node-4', 1],
  ]);
  // A key node-1 never held is left as it was.
  assert.equal((await c.call(ComponentModule.GET_KEY, { keyId: untouched.shares[0]!.keyId }).promise()).epoch, 0);

  // Run again: nothing is left on node-1, nothing moves, nothing fails.
  const again = wr('--json', 'migrate', '--from', 'node-1', '--to', 'node-4', '--retire-source');
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual([(JSON.parse(again.stdout) as RetireSummary).shares, (JSON.parse(again.stdout) as RetireSummary).moved], [0, 0]);
});

test('wr migrate --retire-source refuses a key the target already holds, by name, and leaves it working', async () => {
  const c = net.client;
  const k = await c.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-2', 'node-3'] }).promise();
  const run = wr('--json', 'migrate', '--from', 'node-2', '--to', 'node-3', '--retire-source', '--key', k.shares[0]!.keyId);
  assert.notEqual(run.status, 0);
  assert.match(run.stdout + run.stderr, /CONFLICT/);
  await signs('frost-ed25519', k.publicKey, [k.shares[0]!.keyId, k.shares[1]!.keyId]);
  const bad = wr('migrate', '--from', 'node-2', '--to', 'node-4', '--retire-source', '--delete-source');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--retire-source/);
});
