/**
 * Workflows on the real network: the seed's canvas as the `export-import-key-share`
 * template gives a keyId that signs with an original share; the transfer step
 * waits out of band and the run resumes by its id without repeating a step;
 * `wr workflow run` shows each step and hands the blob over through a file.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ComponentModule, type ComponentResult, type StepEvent } from 'caller-sdk';
import { ROOT, startTestNetwork, type TestNetwork } from '@wr/cli/test-network';

let net: TestNetwork;
let key: ComponentResult<'CREATE_KEY'>;

before(async () => {
  net = await startTestNetwork('workflow');
  key = await net.client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
});
after(() => net?.cleanup());

const imports = async () =>
  (await net.client.call(ComponentModule.LIST_AUDIT_EVENTS, { limit: 1000 }).promise()).events.filter((e) => e.action === 'share.import').length;

test('the seed canvas waits at the transfer, resumes by run id with every step once, and the new share signs', async () => {
  const events: StepEvent[] = [];
  const source = key.shares[0]!;
  const first = await net.client.workflows.run('export-import-key-share', { keyId: source.keyId }, { runId: 'seed-1', onStep: (e) => events.push(e) });
  assert.equal(first.status, 'waiting');
  assert.ok(first.status === 'waiting' && first.blob.startsWith('-----BEGIN AGE ENCRYPTED FILE-----'));
  assert.deepEqual(
    events.filter((e) => e.status !== 'running').map((e) => `${e.stepId}:${e.status}`),
    ['recipient:done', 'backupIdentity:done', 'export:done', 'transfer:waiting'],
  );
  const before = await imports();
  const blob = first.status === 'waiting' ? first.blob : '';
  const done = await net.client.workflows.run('export-import-key-share', { keyId: source.keyId }, { runId: 'seed-1', transfers: { transfer: blob } });
  assert.equal(done.status, 'completed');
  const outputs = done.status === 'completed' ? done.outputs : {};
  assert.match(String(outputs['keyId']), /^key_[0-9a-z]{26}$/);
  assert.equal(outputs['nodeId'], net.defaultTargetNode);
  assert.match(String(outputs['backupPublicKey']), /^age1/);
  assert.equal(await imports(), before + 1, 'one import');

  // Resumed again: every step replays; nothing runs twice.
  const again = await net.client.workflows.run('export-import-key-share', { keyId: source.keyId }, { runId: 'seed-1', transfers: { transfer: blob } });
  assert.deepEqual(again.status === 'completed' && again.outputs, outputs);
  assert.equal(await imports(), before + 1, 'still one import');

  const sig = await net.client.call(ComponentModule.SIGN, { keyIds: [String(outputs['keyId']), key.shares[1]!.keyId], message: 'c0ffee' }).promise();
  assert.equal(sig.publicKey, key.publicKey, 'the moved share signs with an original one');
});

test('wr workflow run shows each step, writes the waiting blob to a file, and completes when it is handed in', async () => {
  const other = await net.client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise();
  const env = { ...process.env, WR_BASE_URL: net.baseUrl, WR_API_KEY: net.apiKey, WR_ADMIN_PUBLIC_KEY: net.adminPublicKey };
  const wr = (...args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, 'packages', 'cli', 'bin', 'wr.js'), 'workflow', ...args], { env, encoding: 'utf8', cwd: net.home });
  const keyId = other.shares[0]!.keyId;
  const first = wr('run', 'export-import-key-share', '--input', `keyId=${keyId}`, '--run-id', 'cli-1');
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /ok +recipient +GET_NODE_RECIPIENT_KEY\n.*ok +export +EXPORT_KEY_SHARE\nwaiting transfer/s);
  assert.match(first.stdout, /run cli-1 waits at transfer: its blob .* is in cli-1\.transfer\.age/);
  const second = wr('run', 'export-import-key-share', '--input', `keyId=${keyId}`, '--run-id', 'cli-1', '--blob', 'transfer=cli-1.transfer.age', '--json');
  assert.equal(second.status, 0, second.stderr);
  const out = JSON.parse(second.stdout) as { status: string; outputs: { keyId: string } };
  assert.equal(out.status, 'completed');
  assert.match(out.outputs.keyId, /^key_/);
  const bad = wr('run', 'export-import-key-share', '--input', 'keyId=key_x', '--input', 'colour=red');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /INVALID_ARGUMENT: inputs\.colour/);
});
