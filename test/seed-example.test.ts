import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ComponentModule } from 'caller-sdk';
import { ROOT, startTestNetwork, scratchDir as newScratchDir, type TestNetwork } from '@wr/cli/test-network';
import { compileAndRun, seedExample, seedRewrapSnippet } from './support/seed.js';
import { ed25519Verify } from './support/verify.js';

let net: TestNetwork;
/** Folders the tests write programs and key files into, removed at the end. */
const scratch: string[] = [];
const scratchDir = (name: string) => {
  scratch.push(newScratchDir(name));
  return scratch.at(-1)!;
};
before(async () => {
  net = await startTestNetwork('seed');
});
after(async () => {
  await net?.cleanup();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** Placeholders the seed leaves to the user: a store for secrets and a database. */
const PRELUDE = `
const savedSecrets = new Map<string, string>();
const secrets = { async store(name: string, value: string): Promise<void> { savedSecrets.set(name, value); } };
const db = { async saveKeyId(keyId: string): Promise<void> { console.log('SAVED_KEY_ID=' + keyId); } };
`;

test('the seed example type-checks under strict, runs as written, and the migrated share signs', async () => {
  const created = await net.client
    .call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] })
    .promise();
  const source = created.shares.find((s) => s.nodeId === 'node-1')!;

  // Only the placeholder key id is replaced; the placeholders it leaves undefined are defined after its import.
  const example = seedExample().replace("'YOUR_EXISTING_KEY_ID'", JSON.stringify(source.keyId));
  const [importLine, ...rest] = example.split('\n');
  const program = [importLine, PRELUDE, ...rest].join('\n');
  const run = compileAndRun(scratchDir('seed-example'), program, { WR_API_KEY: net.apiKey, WR_BASE_URL: net.baseUrl, WR_ADMIN_PUBLIC_KEY: net.adminPublicKey });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /Target node recipient key: age1[0-9a-z]{58}\n/);
  assert.match(run.stdout, /Wrapped key share \(safe to transfer\): -----BEGIN AGE ENCRYPTED FILE-----/);
  const newKeyId = /New keyId on target node: (key_[0-9a-z]{26})/.exec(run.stdout)?.[1];
  assert.ok(newKeyId, run.stdout);
  assert.notEqual(newKeyId, source.keyId);
  assert.match(run.stdout, new RegExp(`SAVED_KEY_ID=${newKeyId}`));

  const imported = await net.client.call(ComponentModule.GET_KEY, { keyId: newKeyId }).promise();
  assert.equal(imported.nodeId, 'node-4');
  assert.equal(imported.publicKey, created.publicKey);
  assert.equal(imported.identifier, source.identifier);
  assert.equal(imported.origin, 'imported');

  // The imported share signs with one of the original shares; a standard Ed25519 verifier accepts it.
  const message = Buffer.from('migrated share signs').toString('hex');
  const other = created.shares.find((s) => s.nodeId === 'node-2')!;
  const sig = await net.client.call(ComponentModule.SIGN, { keyIds: [newKeyId, other.keyId], message }).promise();
  assert.equal(sig.publicKey, created.publicKey);
  assert.ok(ed25519Verify(created.publicKey, message, sig.signature), 'the signature verifies under the group key');

  // The source share still signs: the two coexist.
  const sig2 = await net.client.call(ComponentModule.SIGN, { keyIds: [source.keyId, other.keyId], message }).promise();
  assert.ok(ed25519Verify(created.publicKey, message, sig2.signature));
});

test("the seed's rewrap snippet re-encrypts a wrapped share to a fresh identity", async () => {
  const created = await net.client
    .call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] })
    .promise();
  const share = created.shares[0]!;
  const mine = await net.client.call(ComponentModule.GENERATE_AGE_ENCRYPTION, {}).promise();
  const existing = await net.client.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: share.keyId, ageRecipient: mine.publicKey }).promise();

  const program = [
    "import { WorkspaceClient, ComponentModule } from 'caller-sdk';",
    'const workspace = new WorkspaceClient({ apiKey: process.env.WR_API_KEY! });',
    `const oldAgePrivateKey: string = ${JSON.stringify(mine.encryptedPrivateKey)};`,
    `const existingWrappedShare: string = ${JSON.stringify(existing.wrappedKeyShare)};`,
    seedRewrapSnippet(),
    'console.log(JSON.stringify(rewrapResult));',
  ].join('\n');
  const run = compileAndRun(scratchDir('seed-rewrap'), program, { WR_API_KEY: net.apiKey, WR_BASE_URL: net.baseUrl, WR_ADMIN_PUBLIC_KEY: net.adminPublicKey });
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as { rewrappedKeyShare: string; publicKey: string; encryptedPrivateKey: string };
  assert.match(result.rewrappedKeyShare, /^-----BEGIN AGE ENCRYPTED FILE-----/);
  assert.match(result.publicKey, /^age1[0-9a-z]{58}$/);
  assert.notEqual(result.publicKey, mine.publicKey);

  // The old identity no longer opens it; the new one does, and the share inside still imports and signs.
  await assert.rejects(
    net.client.call(ComponentModule.REWRAPPING_KEY_SHARE, { ageIdentity: mine.encryptedPrivateKey, wrappedKeyShare: result.rewrappedKeyShare }).promise(),
    { code: 'NO_IDENTITY_MATCH' },
  );
  const target = await net.client.call(ComponentModule.GET_NODE_RECIPIENT_KEY, {}).promise();
  const toNode = await net.client
    .call(ComponentModule.REWRAPPING_KEY_SHARE, {
      ageIdentity: result.encryptedPrivateKey,
      wrappedKeyShare: result.rewrappedKeyShare,
      ageRecipient: target.recipientKey,
    })
    .promise();
  const imported = await net.client.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: toNode.rewrappedKeyShare }).promise();
  const message = 'cafe';
  const sig = await net.client.call(ComponentModule.SIGN, { keyIds: [imported.keyId, created.shares[1]!.keyId], message }).promise();
  assert.ok(ed25519Verify(created.publicKey, message, sig.signature));
});

test('a share exported to an age-keygen recipient opens with the age tool', async () => {
  const which = spawnSync('age-keygen', ['--version'], { encoding: 'utf8' });
  assert.equal(which.status, 0, 'the age tool is needed: apt-get install age');
  const dir = scratchDir('age-cli');
  const keyFile = join(dir, 'key.txt');
  const gen = spawnSync('age-keygen', ['-o', keyFile], { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
  const recipient = /public key: (age1[0-9a-z]+)/.exec(readFileSync(keyFile, 'utf8'))![1]!;

  const created = await net.client
    .call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] })
    .promise();
  const share = created.shares[2]!;
  const { wrappedKeyShare } = await net.client.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: share.keyId, ageRecipient: recipient }).promise();
  writeFileSync(join(dir, 'share.age'), wrappedKeyShare);
  const dec = spawnSync('age', ['-d', '-i', keyFile, join(dir, 'share.age')], { encoding: 'utf8' });
  assert.equal(dec.status, 0, dec.stderr);
  const envelope = JSON.parse(dec.stdout) as Record<string, unknown>;
  assert.equal(envelope['version'], 1);
  assert.equal(envelope['ciphersuite'], 'frost-ed25519');
  assert.equal(envelope['identifier'], share.identifier);
  assert.deepEqual(envelope['source'], { nodeId: share.nodeId, keyId: share.keyId });
});

test('`npm run example` runs the seed example kept in the repository, and the moved share lands on node-4', async () => {
  const dir = scratchDir('npm-example');
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'examples', 'export-import-key-share.ts')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, WR_API_KEY: net.apiKey, WR_BASE_URL: net.baseUrl, WR_ADMIN_PUBLIC_KEY: net.adminPublicKey },
    timeout: 120_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const newKeyId = /New keyId on target node: (key_\w+)/.exec(run.stdout)?.[1];
  assert.ok(newKeyId, run.stdout);
  assert.equal(readFileSync(join(dir, '.wr', 'example', 'new-key-id'), 'utf8').trim(), newKeyId);
  assert.match(readFileSync(join(dir, '.wr', 'example', 'age-private-key'), 'utf8'), /^-----BEGIN AGE ENCRYPTED FILE-----/);
  assert.equal((await net.client.call(ComponentModule.GET_KEY, { keyId: newKeyId }).promise()).nodeId, 'node-4');
});
