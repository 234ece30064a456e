/**
 * Backups that stay fresh (issue 12) on the real network: a key's backup
 * policy is the caller's signed SET_BACKUP_POLICY, checked and kept by every
 * holder; each holder exports its current share to the escrow recipients by
 * itself, at once and after every refresh; LIST_BACKUPS gathers the latest set,
 * and `wr recover` rebuilds the key from it and refuses a mix of epochs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateIdentity, unwrap, type GeneratedIdentity } from '@wr/age';
import { ApiKey, ComponentModule, WorkspaceClient, generateApiKey, type ComponentResult } from 'caller-sdk';
import { openEnvelope } from '@wr/crypto';
import { ROOT, startTestNetwork, type TestNetwork } from '@wr/cli/test-network';
import { asRelay as relay } from './support/raw.js';

let net: TestNetwork;
let admin: ApiKey;
let key: ComponentResult<'CREATE_KEY'>;
let x25519: GeneratedIdentity;
let second: GeneratedIdentity;
let identityFile: string;

type Json = Record<string, unknown> & { error?: { code: string; message: string } };

before(async () => {
  net = await startTestNetwork('backups');
  admin = new ApiKey(net.apiKey);
  key = await net.client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
  x25519 = await generateIdentity('x25519');
  second = await generateIdentity('x25519');
  identityFile = join(net.home, 'escrow.key');
  writeFileSync(identityFile, second.identity.expose() + '\n', { mode: 0o600 });
});
after(async () => {
  await net?.cleanup();
});

const asRelay = (nodeId: string, path: string, body?: unknown) => relay(net, nodeId, path, body);

const refused = (r: { status: number; json: Json }, code: string, what: string) => {
  assert.ok(r.status >= 400, `${what}: the node did it`);
  assert.equal(r.json.error?.code, code, `${what}: ${r.json.error?.message}`);
};

const signed = (k: ApiKey, component: string, params: object) => k.sign(component, JSON.stringify(params), `idem-${Math.random()}`);

function wr(...args: string[]) {
  const env = { ...process.env, WR_BASE_URL: net.baseUrl, WR_API_KEY: net.apiKey, WR_ADMIN_PUBLIC_KEY: net.adminPublicKey };
  return spawnSync(process.execPath, [join(ROOT, 'packages', 'cli', 'bin', 'wr.js'), ...args], { env, encoding: 'utf8', cwd: net.home });
}

/** `wr recover --json` from the backups `nodes` wrote at `epoch` into `dir`; its report, once it has succeeded. */
function recover(dir: string, epoch: number, nodes: string[], out: string) {
  const files = nodes.map((n) => join(dir, `${n}-epoch${epoch}.age`));
  const rec = wr('recover', '--json', '-i', identityFile, '--epoch', String(epoch), ...files, '-o', join(net.home, out));
  assert.equal(rec.status, 0, rec.stderr);
  return JSON.parse(rec.stdout) as { groupPublicKey: string; epoch: number; proven: boolean };
}

const list = () => net.client.call(ComponentModule.LIST_BACKUPS, { publicKey: key.publicKey }).promise();

test('SET_BACKUP_POLICY: every holder exports its share to the escrow recipients at once; LIST_BACKUPS returns one per holder at epoch 0', async () => {
  const set = wr('backups', 'set', key.publicKey, '-r', x25519.recipient, '-r', second.recipient);
  assert.equal(set.status, 0, set.stderr);
  assert.match(set.stdout, /backup policy of [0-9a-f]+: 2 recipients/);
  const r = await list();
  assert.equal(r.epoch, 0);
  assert.deepEqual(r.unavailableNodes, []);
  assert.deepEqual(r.recipients, [x25519.recipient, second.recipient]);
  assert.deepEqual(r.backups.map((b) => b.nodeId).sort(), ['node-1', 'node-2', 'node-3']);
  for (const b of r.backups) {
    assert.equal(b.epoch, 0);
    assert.ok(b.receipt, 'each holder signs a receipt for its backup');
    // Either escrow identity opens it: the node's signed envelope of this share, at this epoch.
    for (const id of [x25519, second]) {
      const env = openEnvelope(await unwrap(b.wrappedKeyShare, { identities: [id.identity] }));
      assert.equal(env.public.groupPublicKey, key.publicKey);
      assert.equal(env.secret.identifier, b.identifier);
      assert.equal(env.epoch, 0);
      env.secret.signingShare.destroy();
    }
  }
  // Who set it, in the workspace's log; each backup in its node's own log.
  const ws = (await net.client.call(ComponentModule.LIST_AUDIT_EVENTS, {}).promise()).events.filter((e) => e.action === 'backup.policy');
  assert.ok(ws.some((e) => e.details['publicKey'] === key.publicKey));
  for (const nodeId of ['node-1', 'node-2', 'node-3']) {
    const log = (await net.client.call(ComponentModule.LIST_AUDIT_EVENTS, { nodeId }).promise()).events;
    assert.ok(log.some((e) => e.action === 'backup.export' && e.details['publicKey'] === key.publicKey && e.details['epoch'] === 0));
    assert.ok(log.some((e) => e.action === 'backup.policy' && e.details['publicKey'] === key.publicKey));
  }
});

test('wr backups list --out-dir writes the latest set; wr recover rebuilds the group key from threshold-many of them', () => {
  const out = wr('backups', 'list', key.publicKey, '--out-dir', join(net.home, 'epoch0'));
  assert.equal(out.status, 0, out.stderr);
  assert.ok(existsSync(join(net.home, 'epoch0', 'node-1-epoch0.age')));
  const report = recover(join(net.home, 'epoch0'), 0, ['node-1', 'node-3'], 'group0.key');
  assert.equal(report.groupPublicKey, key.publicKey);
  assert.equal(report.epoch, 0);
  assert.equal(report.proven, true);
});

test('after REFRESH_KEY the backups are at epoch 1 by themselves; wr recover refuses a mix of epochs, and an old set, by name', async () => {
  const before = await list();
  const r = await net.client.call(ComponentModule.REFRESH_KEY, { publicKey: key.publicKey }).promise();
  assert.equal(r.epoch, 1);
  const after = await list();
  assert.equal(after.epoch, 1);
  assert.equal(after.backups.length, 3);
  for (const b of after.backups) {
    assert.equal(b.epoch, 1);
    assert.ok(!before.backups.some((old) => old.wrappedKeyShare === b.wrappedKeyShare));
    const env = openEnvelope(await unwrap(b.wrappedKeyShare, { identities: [x25519.identity] }));
    assert.equal(env.epoch, 1);
    env.secret.signingShare.destroy();
  }
  const out = wr('backups', 'list', key.publicKey, '--out-dir', join(net.home, 'epoch1'));
  assert.equal(out.status, 0, out.stderr);
  const e1 = (n: number) => join(net.home, 'epoch1', `node-${n}-epoch1.age`);
  const e0 = (n: number) => join(net.home, 'epoch0', `node-${n}-epoch0.age`);

  const ok = wr('recover', '--json', '-i', identityFile, '--epoch', '1', e1(2), e1(3), '-o', join(net.home, 'group1.key'));
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal((JSON.parse(ok.stdout) as { groupPublicKey: string }).groupPublicKey, key.publicKey);
  assert.equal(readFileSync(join(net.home, 'group1.key'), 'utf8'), readFileSync(join(net.home, 'group0.key'), 'utf8'), 'the same group key');

  const mixed = wr('recover', '-i', identityFile, e0(1), e1(2), '-o', join(net.home, 'mixed.key'));
  assert.equal(mixed.status, 23, mixed.stderr);
  assert.match(mixed.stderr, /SHARE_STALE: these wrapped shares are of different epochs \(epoch 0: .*node-1-epoch0\.age; epoch 1: .*node-2-epoch1\.age\)/);
  assert.ok(!existsSync(join(net.home, 'mixed.key')));

  const old = wr('recover', '-i', identityFile, '--epoch', '1', e0(1), e0(2), '-o', join(net.home, 'old.key'));
  assert.equal(old.status, 23, old.stderr);
  assert.match(old.stderr, /of epoch 0, but the key is at epoch 1/);

  for (const nodeId of ['node-1', 'node-2', 'node-3']) {
    const log = (await net.client.call(ComponentModule.LIST_AUDIT_EVENTS, { nodeId }).promise()).events;
    assert.ok(log.some((e) => e.action === 'backup.export' && e.details['publicKey'] === key.publicKey && e.details['epoch'] === 1));
  }
});

test('after RESHARE_KEY to a new threshold on the same holders, the backups are at epoch 1 by themselves', async () => {
  const k = await net.client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
  await net.client.call(ComponentModule.SET_BACKUP_POLICY, { publicKey: k.publicKey, recipients: [x25519.recipient] }).promise();
  const r = await net.client.call(ComponentModule.RESHARE_KEY, { publicKey: k.publicKey, threshold: 3, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
  assert.equal(r.epoch, 1);
  const after = await net.client.call(ComponentModule.LIST_BACKUPS, { publicKey: k.publicKey }).promise();
  assert.equal(after.epoch, 1);
  assert.deepEqual(after.backups.map((b) => [b.nodeId, b.epoch]).sort(), [
    ['node-1', 1],
    ['node-2', 1],
    ['node-3', 1],
  ]);
  const env = openEnvelope(await unwrap(after.backups[0]!.wrappedKeyShare, { identities: [x25519.identity] }));
  assert.equal(env.epoch, 1);
  assert.equal(env.public.minSigners, 3, 'the backup holds the reshared share');
  env.secret.signingShare.destroy();
});

test('the backup policy follows the key: after RESHARE_KEY to a new node, it backs up too, and wr recover rebuilds the key from the new set', async () => {
  const k = await net.client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
  await net.client.call(ComponentModule.SET_BACKUP_POLICY, { publicKey: k.publicKey, recipients: [second.recipient] }).promise();
  const r = await net.client.call(ComponentModule.RESHARE_KEY, { publicKey: k.publicKey, threshold: 2, nodeIds: ['node-2', 'node-3', 'node-4'] }).promise();
  assert.equal(r.epoch, 1);
  const after = await net.client.call(ComponentModule.LIST_BACKUPS, { publicKey: k.publicKey }).promise();
  assert.equal(after.epoch, 1);
  assert.deepEqual(after.recipients, [second.recipient]);
  // node-4 never saw SET_BACKUP_POLICY: it took the policy from the dealers, checked it, and backed its new share up.
  assert.deepEqual(after.backups.map((b) => [b.nodeId, b.epoch, b.recipients]).sort(), [
    ['node-2', 1, [second.recipient]],
    ['node-3', 1, [second.recipient]],
    ['node-4', 1, [second.recipient]],
  ]);
  const log = (await net.client.call(ComponentModule.LIST_AUDIT_EVENTS, { nodeId: 'node-4' }).promise()).events;
  assert.ok(log.some((e) => e.action === 'backup.policy' && e.details['publicKey'] === k.publicKey && e.details['handedOn'] === true));
  const dir = join(net.home, 'reshared');
  const out = wr('backups', 'list', k.publicKey, '--out-dir', dir);
  assert.equal(out.status, 0, out.stderr);
  const report = recover(dir, 1, ['node-2', 'node-4'], 'reshared.key');
  assert.deepEqual([report.groupPublicKey, report.epoch, report.proven], [k.publicKey, 1, true]);
});

test("the backup policy follows the key: a share repaired on a new node takes the helpers' policy and backs up at once", async () => {
  const k = await net.client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
  await net.client.call(ComponentModule.SET_BACKUP_POLICY, { publicKey: k.publicKey, recipients: [second.recipient] }).promise();
  const lost = k.shares[0]!;
  await net.client.call(ComponentModule.DELETE_KEY_SHARE, { keyId: lost.keyId }).promise();
  const r = await net.client.call(ComponentModule.REPAIR_KEY_SHARE, { publicKey: k.publicKey, identifier: lost.identifier, nodeId: 'node-4' }).promise();
  const after = await net.client.call(ComponentModule.LIST_BACKUPS, { publicKey: k.publicKey }).promise();
  assert.deepEqual(after.backups.map((b) => [b.nodeId, b.identifier, b.epoch]).sort(), [
    ['node-2', k.shares[1]!.identifier, 0],
    ['node-3', k.shares[2]!.identifier, 0],
    ['node-4', r.identifier, 0],
  ]);
  const dir = join(net.home, 'repaired');
  assert.equal(wr('backups', 'list', k.publicKey, '--out-dir', dir).status, 0);
  const report = recover(dir, 0, ['node-4', 'node-3'], 'repaired.key');
  assert.deepEqual([report.groupPublicKey, report.proven], [k.publicKey, true]);
});

for (const scheme of ['frost-secp256k1', 'frost-secp256k1-tr'] as const) {
  test(`${scheme}: a policy keeps the backups at the current epoch through a refresh, and wr recover rebuilds the key from them`, async () => {
    const k = await net.client.call(ComponentModule.CREATE_KEY, { scheme, threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
    await net.client.call(ComponentModule.SET_BACKUP_POLICY, { publicKey: k.publicKey, recipients: [second.recipient] }).promise();
    assert.equal((await net.client.call(ComponentModule.REFRESH_KEY, { publicKey: k.publicKey }).promise()).epoch, 1);
    const after = await net.client.call(ComponentModule.LIST_BACKUPS, { publicKey: k.publicKey }).promise();
    assert.deepEqual(after.backups.map((b) => [b.nodeId, b.epoch]).sort(), [
      ['node-1', 1],
      ['node-2', 1],
      ['node-3', 1],
    ]);
    const dir = join(net.home, `refreshed-${scheme}`);
    assert.equal(wr('backups', 'list', k.publicKey, '--out-dir', dir).status, 0);
    const report = recover(dir, 1, ['node-1', 'node-3'], `${scheme}.key`);
    assert.deepEqual([report.groupPublicKey, report.epoch, report.proven], [k.publicKey, 1, true]);
  });
}

test('a node takes a policy only as the caller signed it: no scope, an altered body, another key, a replay are refused', async () => {
  const attacker = (await generateIdentity('x25519')).recipient;
  const path = `/v1/keys/${key.publicKey}/backup-policy`;
  const weak = generateApiKey();
  await net.client.call(ComponentModule.CREATE_API_KEY, { name: 'reader', scopes: ['keys:read'], publicKey: weak.publicKey }).promise();
  refused(
    await asRelay('node-1', path, { auth: signed(new ApiKey(weak.apiKey), 'SET_BACKUP_POLICY', { publicKey: key.publicKey, recipients: [attacker] }) }),
    'PERMISSION_DENIED',
    'a key without keys:export',
  );
  const honest = signed(admin, 'SET_BACKUP_POLICY', { publicKey: key.publicKey, recipients: [x25519.recipient] });
  const swapped = { ...honest, body: JSON.stringify({ publicKey: key.publicKey, recipients: [attacker] }) };
  refused(await asRelay('node-1', path, { auth: swapped }), 'UNAUTHENTICATED', 'recipients swapped by the relay');
  const other = await net.client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise();
  refused(await asRelay('node-1', `/v1/keys/${other.publicKey}/backup-policy`, { auth: honest }), 'PERMISSION_DENIED', 'the call used for another key');
  refused(
    await asRelay('node-1', path, { auth: signed(admin, 'EXPORT_KEY_SHARE', { keyId: key.shares[0]!.keyId, ageRecipient: attacker }) }),
    'PERMISSION_DENIED',
    'another component',
  );
  // The genuine call, relayed, is taken; sent again while in force it changes nothing; once a newer one is in force it is refused.
  const taken = await asRelay('node-1', path, { auth: honest });
  assert.equal(taken.status, 200, JSON.stringify(taken.json.error));
  const again = await asRelay('node-1', path, { auth: honest });
  assert.deepEqual(again.json, taken.json, 'the same call again: the same answer');
  // A call withheld by the relay, then played after a newer one: refused, the newer stays in force.
  const withheld = signed(admin, 'SET_BACKUP_POLICY', { publicKey: key.publicKey, recipients: [x25519.recipient] });
  await new Promise((r) => setTimeout(r, 5));
  const newer = signed(admin, 'SET_BACKUP_POLICY', { publicKey: key.publicKey, recipients: [second.recipient] });
  assert.equal((await asRelay('node-1', path, { auth: newer })).status, 200);
  refused(await asRelay('node-1', path, { auth: withheld }), 'CONFLICT', 'an older call played after a newer one');
  refused(await asRelay('node-1', path, { auth: honest }), 'REPLAYED', 'a call used before, no longer in force');
  const mine = (await list()).backups.find((b) => b.nodeId === 'node-1')!;
  assert.deepEqual(mine.recipients, [second.recipient]);
  await assert.rejects(unwrap(mine.wrappedKeyShare, { identities: [x25519.identity] }));
  // Back to both recipients, through the workspace.
  await net.client.call(ComponentModule.SET_BACKUP_POLICY, { publicKey: key.publicKey, recipients: [x25519.recipient, second.recipient] }).promise();
  assert.ok((await list()).backups.every((b) => b.recipients.length === 2));
});

test('the backups table holds age ciphertext only: no signing share, raw or hex, anywhere in node.db', async () => {
  for (const b of (await list()).backups) {
    const env = openEnvelope(await unwrap(b.wrappedKeyShare, { identities: [x25519.identity] }));
    const share = Buffer.from(env.secret.signingShare.expose());
    env.secret.signingShare.destroy();
    const file = join(net.dir, b.nodeId, 'node.db');
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare('SELECT wrapped, epoch FROM backups').all() as { wrapped: string; epoch: number }[];
      assert.ok(rows.length >= 1);
      for (const r of rows) assert.match(r.wrapped, /^-----BEGIN AGE ENCRYPTED FILE-----\n[A-Za-z0-9+/=\n]+-----END AGE ENCRYPTED FILE-----\n?$/);
    } finally {
      db.close();
    }
    for (const f of [file, `${file}-wal`].filter(existsSync)) {
      const bytes = readFileSync(f);
      assert.equal(bytes.indexOf(share), -1, `${f} holds the share`);
      assert.equal(bytes.indexOf(Buffer.from(share.toString('hex'))), -1, `${f} holds the share in hex`);
    }
    share.fill(0);
  }
});

test('a post-quantum policy backs up to age1pq1 recipients; a policy mixing kinds is refused by the nodes, and nothing changes', async () => {
  const pq = await generateIdentity('hybrid');
  await assert.rejects(
    net.client.call(ComponentModule.SET_BACKUP_POLICY, { publicKey: key.publicKey, recipients: [x25519.recipient, pq.recipient] }).promise(),
    (err: { code?: string; message?: string }) => err.code === 'INVALID_ARGUMENT' && /mixes post-quantum/.test(err.message ?? ''),
  );
  assert.ok((await list()).backups.every((b) => b.recipients.length === 2 && b.recipients[0] === x25519.recipient));
  await net.client.call(ComponentModule.SET_BACKUP_POLICY, { publicKey: key.publicKey, recipients: [pq.recipient] }).promise();
  const r = await list();
  assert.equal(r.backups.length, 3);
  for (const b of r.backups) {
    assert.deepEqual(b.recipients, [pq.recipient]);
    const env = openEnvelope(await unwrap(b.wrappedKeyShare, { identities: [pq.identity] }));
    assert.equal(env.epoch, 1);
    env.secret.signingShare.destroy();
  }
});

test('a policy acts only while its signer may export: once its API key is revoked, a refresh makes no new backup (backup.failed)', async () => {
  const c = net.client;
  const k = await c.call(ComponentModule.CREATE_KEY, { scheme: 'frost-secp256k1', threshold: 2, nodeIds: ['node-2', 'node-3', 'node-4'] }).promise();
  const custodian = generateApiKey();
  const { apiKeyId } = await c.call(ComponentModule.CREATE_API_KEY, { name: 'custodian', scopes: ['keys:export'], publicKey: custodian.publicKey }).promise();
  const auth = signed(new ApiKey(custodian.apiKey), 'SET_BACKUP_POLICY', { publicKey: k.publicKey, recipients: [x25519.recipient] });
  for (const nodeId of ['node-2', 'node-3', 'node-4']) {
    const r = await asRelay(nodeId, `/v1/keys/${k.publicKey}/backup-policy`, { auth });
    assert.equal(r.status, 200, JSON.stringify(r.json.error));
  }
  const at0 = await c.call(ComponentModule.LIST_BACKUPS, { publicKey: k.publicKey }).promise();
  assert.deepEqual(
    at0.backups.map((b) => b.epoch),
    [0, 0, 0],
  );
  await c.call(ComponentModule.REVOKE_API_KEY, { apiKeyId }).promise();
  await c.call(ComponentModule.REFRESH_KEY, { publicKey: k.publicKey }).promise();
  const after = await c.call(ComponentModule.LIST_BACKUPS, { publicKey: k.publicKey }).promise();
  assert.equal(after.epoch, 1);
  assert.deepEqual(
    after.backups.map((b) => b.epoch),
    [0, 0, 0],
    'the stale backups stay listed, below the key epoch',
  );
  const log = (await c.call(ComponentModule.LIST_AUDIT_EVENTS, { nodeId: 'node-2' }).promise()).events;
  assert.ok(log.some((e) => e.action === 'backup.failed' && e.details['publicKey'] === k.publicKey && e.details['code'] === 'PERMISSION_DENIED'));
});

test('a network policy can hold SET_BACKUP_POLICY for approvals: refused alone, taken by every holder once two other admins approve', async () => {
  const c = net.client;
  const approvers = [generateApiKey(), generateApiKey()];
  for (const [i, k] of approvers.entries()) {
    await c.call(ComponentModule.CREATE_API_KEY, { name: `approver-${i}`, scopes: ['admin', 'keys:read'], publicKey: k.publicKey }).promise();
  }
  await c.call(ComponentModule.SET_POLICY, { approvals: [{ component: 'SET_BACKUP_POLICY', approvals: 2 }] }).promise();
  try {
    const params = { publicKey: key.publicKey, recipients: [x25519.recipient] };
    await assert.rejects(c.call(ComponentModule.SET_BACKUP_POLICY, params).promise(), { code: 'APPROVAL_REQUIRED' });
    refused(
      await asRelay('node-1', `/v1/keys/${key.publicKey}/backup-policy`, { auth: signed(admin, 'SET_BACKUP_POLICY', params) }),
      'APPROVAL_REQUIRED',
      'a direct call',
    );
    const pending = await c.call(ComponentModule.REQUEST_APPROVAL, { component: 'SET_BACKUP_POLICY', params }).promise();
    for (const k of approvers) {
      await new WorkspaceClient({ apiKey: k.apiKey, baseUrl: net.baseUrl })
        .call(ComponentModule.APPROVE_REQUEST, { approvalRequestId: pending.approvalRequestId })
        .promise();
    }
    const done = await c.call(ComponentModule.GET_APPROVAL_REQUEST, { approvalRequestId: pending.approvalRequestId }).promise();
    assert.equal(done.status, 'executed', JSON.stringify(done.error));
    const r = await list();
    assert.equal(r.backups.length, 3);
    assert.ok(r.backups.every((b) => b.recipients.length === 1 && b.recipients[0] === x25519.recipient && b.epoch === 1));
    const logged = (await c.call(ComponentModule.LIST_AUDIT_EVENTS, { nodeId: 'node-3' }).promise()).events.filter((e) => e.action === 'backup.policy').pop()!;
    assert.equal((logged.details['approvedBy'] as string[]).length, 2);
  } finally {
    await c.call(ComponentModule.SET_POLICY, { approvals: [] }).promise();
  }
});
