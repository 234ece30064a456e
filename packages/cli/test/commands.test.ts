/**
 * Every operator command, run as a user runs it (a `wr` process) against a
 * real local network: --json output parsed and checked, and the exit code of
 * every error path.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { openDatabase } from '@wr/server';
import { registerOperatorCommands } from '../src/commands/operator.js';
import { startTestNetwork, type TestNetwork } from './support/network.js';
import { tool, wr, wrJson } from './support/wr.js';

function ed25519Verify(publicKeyHex: string, message: Uint8Array, signatureHex: string): boolean {
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(publicKeyHex, 'hex')]);
  return verify(null, message, createPublicKey({ key: spki, format: 'der', type: 'spki' }), Buffer.from(signatureHex, 'hex'));
}

interface Created {
  publicKey: string;
  scheme: string;
  threshold: number;
  shares: { nodeId: string; keyId: string; identifier: string }[];
}

describe('wr operator commands', () => {
  let n: TestNetwork;
  let env: Record<string, string>;
  let dir: string;
  let key: Created;
  let alice: { file: string; recipient: string };
  let bob: { file: string; recipient: string };

  const identity = async (name: string) => {
    const file = join(dir, `${name}.key`);
    await tool('age-keygen', ['-o', file]);
    return { file, recipient: (await tool('age-keygen', ['-y', file])).trim() };
  };

  before(async () => {
    n = await startTestNetwork('commands');
    env = { ...n.env };
    dir = join(n.home, 'files');
    mkdirSync(dir);
    [alice, bob] = await Promise.all([identity('alice'), identity('bob')]);
    key = await wrJson<Created>(['keys', 'create', '--scheme', 'frost-ed25519', '--threshold', '2', '--nodes', 'node-1,node-2,node-3'], { env });
  });
  after(async () => {
    await n?.cleanup();
  });

  it('gives --help for every command, with the global options', async () => {
    const program = new Command('wr');
    registerOperatorCommands(program);
    const leaves: Command[] = [];
    const walk = (c: Command) => (c.commands.length ? c.commands.forEach(walk) : leaves.push(c));
    walk(program);
    assert.ok(leaves.length >= 19, `${leaves.length} commands`);
    for (const c of leaves) {
      assert.ok(c.description().length > 10, `${c.name()} has a description`);
      const help = c.helpInformation();
      assert.match(help, /Usage: wr /);
      assert.match(help, /--json/, `${c.name()} --help shows the global options`);
    }
    const [create, top, bad] = await Promise.all([wr(['keys', 'create', '--help']), wr(['--help']), wr(['keys', 'create', '--threshold', 'two'], { env })]);
    assert.equal(create.code, 0);
    assert.match(create.stdout, /--threshold <n>/);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Exit codes:/);
    assert.equal(bad.code, 2, 'a usage error exits 2');
    assert.match(bad.stderr, /expected an integer/);
  });

  it('lists nodes and shows a node recipient', async () => {
    const nodes = await wrJson<{ nodes: { nodeId: string; status: string; recipientKey: string }[] }>(['nodes'], { env });
    assert.deepEqual(nodes.nodes.map((x) => x.nodeId).sort(), ['node-1', 'node-2', 'node-3', 'node-4']);
    assert.ok(nodes.nodes.every((x) => x.status === 'up'));
    const r = await wrJson<{ nodeId: string; recipientKey: string; postQuantumRecipientKey: string }>(['nodes', 'recipient', 'node-4'], { env });
    assert.equal(r.nodeId, 'node-4');
    assert.equal(r.recipientKey, nodes.nodes.find((x) => x.nodeId === 'node-4')!.recipientKey);
    assert.match(r.postQuantumRecipientKey, /^age1pq1/);
    const human = await wr(['nodes', 'list'], { env });
    assert.equal(human.code, 0);
    assert.match(human.stdout, /^NODE\s+STATUS\s+SHARES/);
    assert.ok(!human.stdout.includes(r.recipientKey), 'a terminal table shortens recipients');
    const wide = await wr(['nodes', 'list', '--wide'], { env });
    assert.ok(wide.stdout.includes(r.recipientKey), '--wide shows them whole');
  });

  it('creates, lists, shows, signs with and deletes keys', async () => {
    assert.equal(key.scheme, 'frost-ed25519');
    assert.equal(key.threshold, 2);
    assert.match(key.publicKey, /^[0-9a-f]{64}$/);
    assert.deepEqual(
      key.shares.map((s) => s.nodeId),
      ['node-1', 'node-2', 'node-3'],
    );

    const listed = await wrJson<{ keys: { keyId: string; nodeId: string }[] }>(['keys', 'list', '--node', 'node-1'], { env });
    assert.ok(listed.keys.some((k) => k.keyId === key.shares[0]!.keyId));
    assert.ok(listed.keys.every((k) => k.nodeId === 'node-1'));
    const got = await wrJson<{ keyId: string; publicKey: string; threshold: number; maxSigners: number; origin: string }>(
      ['keys', 'get', key.shares[1]!.keyId],
      { env },
    );
    assert.deepEqual([got.keyId, got.publicKey, got.threshold, got.maxSigners, got.origin], [key.shares[1]!.keyId, key.publicKey, 2, 3, 'generated']);

    const message = Buffer.from('pay 1 BTC to bob');
    const msgFile = join(dir, 'message.bin');
    writeFileSync(msgFile, message);
    const [byHex, byFile, human] = await Promise.all([
      wrJson<{ signature: string; publicKey: string }>(
        ['sign', '--key', key.shares[0]!.keyId, '--key', key.shares[2]!.keyId, '--message', message.toString('hex')],
        { env },
      ),
      wrJson<{ signature: string }>(['sign', '--key', key.shares[1]!.keyId, '--key', key.shares[2]!.keyId, '--message-file', msgFile], { env }),
      wr(['keys', 'list'], { env }),
    ]);
    assert.equal(byHex.publicKey, key.publicKey);
    assert.ok(ed25519Verify(key.publicKey, message, byHex.signature), 'the signature verifies with node:crypto');
    assert.ok(ed25519Verify(key.publicKey, message, byFile.signature));
    assert.match(human.stdout, /^KEY ID\s+NODE\s+PUBLIC KEY/);

    const other = await wrJson<Created>(['keys', 'create', '--threshold', '2', '--nodes', 'node-2,node-3'], { env });
    const deleted = await wrJson<{ keyId: string; deleted: boolean }>(['keys', 'delete', other.shares[0]!.keyId], { env });
    assert.deepEqual(deleted, { keyId: other.shares[0]!.keyId, deleted: true });
    const gone = await wr(['keys', 'get', other.shares[0]!.keyId], { env });
    assert.equal(gone.code, 5, 'a deleted share is NOT_FOUND');

    // wr keys refresh: the new epoch and the shares, as text or JSON.
    const fresh = await wrJson<Created>(['keys', 'create', '--threshold', '2', '--nodes', 'node-1,node-2'], { env });
    const refreshed = await wr(['keys', 'refresh', fresh.publicKey], { env });
    assert.equal(refreshed.code, 0, refreshed.stderr);
    assert.match(refreshed.stdout, new RegExp(`^refreshed key ${fresh.publicKey}\n  epoch 1, 2 shares`));
    assert.match(refreshed.stdout, /NODE\s+KEY ID\s+IDENTIFIER/);
    const again = await wrJson<{ publicKey: string; epoch: number; shares: { keyId: string }[] }>(['keys', 'refresh', fresh.publicKey], { env });
    assert.deepEqual([again.publicKey, again.epoch, again.shares.map((x) => x.keyId).sort()], [fresh.publicKey, 2, fresh.shares.map((x) => x.keyId).sort()]);

    // wr keys reshare: to other nodes and another threshold, same key; wr keys repair: a deleted share rebuilt on another node.
    const reshared = await wr(['keys', 'reshare', fresh.publicKey, '--threshold', '2', '--nodes', 'node-2,node-3,node-4'], { env });
    assert.equal(reshared.code, 0, reshared.stderr);
    assert.match(reshared.stdout, new RegExp(`^reshared key ${fresh.publicKey}\n  2-of-3 at epoch 3`));
    const moved = await wrJson<{ epoch: number; shares: { nodeId: string; keyId: string; identifier: string }[] }>(
      ['keys', 'reshare', fresh.publicKey, '--threshold', '2', '--nodes', 'node-2,node-3,node-4'],
      { env },
    );
    assert.deepEqual([moved.epoch, moved.shares.map((x) => x.nodeId)], [4, ['node-2', 'node-3', 'node-4']]);
    await wrJson(['keys', 'delete', moved.shares[2]!.keyId], { env });
    const repaired = await wrJson<{ keyId: string; nodeId: string; identifier: string }>(
      ['keys', 'repair', fresh.publicKey, '--identifier', moved.shares[2]!.identifier, '--node', 'node-1'],
      { env },
    );
    assert.deepEqual([repaired.nodeId, repaired.identifier], ['node-1', moved.shares[2]!.identifier]);
  });

  it('exports to -r and -R recipients, imports from a file and stdin, rewraps', async () => {
    const s1 = join(dir, 's1.age');
    const exported = await wr(['share', 'export', key.shares[0]!.keyId, '-r', alice.recipient, '-o', s1], { env });
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /^wrote .*s1\.age/);
    assert.equal(statSync(s1).mode & 0o777, 0o600);
    // Stock age opens it: an escrow agent needs nothing of ours.
    const plain = JSON.parse(await tool('age', ['-d', '-i', alice.file, s1])) as { type: string; source: { keyId: string } };
    assert.equal(plain.type, 'wr.key-share');
    assert.equal(plain.source.keyId, key.shares[0]!.keyId);

    const node4 = (await wrJson<{ recipientKey: string }>(['nodes', 'recipient', 'node-4'], { env })).recipientKey;
    const recipientsFile = join(dir, 'recipients.txt');
    writeFileSync(recipientsFile, `# escrow and the target node\n\n${bob.recipient}\n  ${node4}  \n# end\n`);
    const toStdout = await wr(['share', 'export', key.shares[1]!.keyId, '-R', recipientsFile], { env });
    assert.equal(toStdout.code, 0, toStdout.stderr);
    assert.match(toStdout.stdout, /^-----BEGIN AGE ENCRYPTED FILE-----/);
    await tool('age', ['-d', '-i', bob.file], toStdout.stdout); // bob can open it too
    const s2 = join(dir, 's2.age');
    writeFileSync(s2, toStdout.stdout);

    const imported = await wrJson<{ keyId: string; nodeId: string; publicKey: string; alreadyPresent: boolean }>(['share', 'import', s2, '--node', 'node-4'], {
      env,
    });
    assert.equal(imported.nodeId, 'node-4');
    assert.equal(imported.publicKey, key.publicKey);
    assert.equal(imported.alreadyPresent, false);
    const again = await wrJson<{ keyId: string; alreadyPresent: boolean }>(['share', 'import', '-', '--node', 'node-4'], { env, input: toStdout.stdout });
    assert.deepEqual(again, { ...imported, alreadyPresent: true }, 'importing the same file twice gives the same keyId');
    const human = await wr(['share', 'import', s2, '--node', 'node-4'], { env });
    assert.match(human.stdout, /node-4 already held this share/);

    // Rewrap alice → bob, then to a fresh identity sealed by the workspace, then back with it.
    const s1bob = join(dir, 's1-bob.age');
    const rewrapped = await wr(['share', 'rewrap', s1, '-i', alice.file, '-r', bob.recipient, '-o', s1bob], { env });
    assert.equal(rewrapped.code, 0, rewrapped.stderr);
    assert.equal((await wr(['share', 'inspect', s1bob, '-i', bob.file])).code, 0);
    const sealed = join(dir, 'fresh.sealed');
    const fresh = await wrJson<{ rewrappedKeyShare: string; publicKey: string; encryptedPrivateKey: string }>(
      ['share', 'rewrap', s1bob, '-i', bob.file, '--identity-out', sealed],
      { env },
    );
    assert.match(fresh.publicKey, /^age1/);
    assert.equal(readFileSync(sealed, 'utf8').trim(), fresh.encryptedPrivateKey.trim());
    const back = await wr(['share', 'rewrap', '-', '--identity-sealed', sealed, '-r', alice.recipient], { env, input: fresh.rewrappedKeyShare });
    assert.equal(back.code, 0, back.stderr);
    assert.equal((await wr(['share', 'inspect', '-', '-i', alice.file], { input: back.stdout })).code, 0);
    const noTarget = await wr(['share', 'rewrap', s1, '-i', alice.file], { env });
    assert.equal(noTarget.code, 2);
    assert.match(noTarget.stderr, /--identity-out/);
  });

  it('makes age identities: passphrase-encrypted, sealed, post-quantum', async () => {
    const passFile = join(dir, 'pass.txt');
    writeFileSync(passFile, 'correct horse battery staple\n');
    const idFile = join(dir, 'escrow.key.age');
    const made = await wr(['age', 'keygen', '--passphrase-file', passFile, '-o', idFile], { env });
    assert.equal(made.code, 0, made.stderr);
    const recipient = /Public key: (age1\S+)/.exec(made.stderr)?.[1];
    assert.ok(recipient);
    assert.match(readFileSync(idFile, 'utf8'), /^-----BEGIN AGE ENCRYPTED FILE-----/);
    assert.equal(statSync(idFile).mode & 0o777, 0o600);
    // A share wrapped to it opens offline with the passphrase.
    const share = join(dir, 'escrow-share.age');
    assert.equal((await wr(['share', 'export', key.shares[2]!.keyId, '-r', recipient, '-o', share], { env })).code, 0);
    assert.equal((await wr(['share', 'inspect', share, '-i', idFile, '--passphrase-file', passFile])).code, 0);
    const noPass = await wr(['share', 'inspect', share, '-i', idFile]);
    assert.equal(noPass.code, 2);
    assert.match(noPass.stderr, /--passphrase-file/);

    const [plainSealed, pq] = await Promise.all([
      wrJson<{ publicKey: string; encryptedPrivateKey: string }>(['age', 'keygen'], { env }),
      wrJson<{ publicKey: string }>(['age', 'keygen', '--pq'], { env }),
    ]);
    assert.match(plainSealed.publicKey, /^age1[0-9a-z]+$/);
    assert.doesNotMatch(plainSealed.encryptedPrivateKey, /AGE-SECRET-KEY/);
    assert.match(pq.publicKey, /^age1pq1/);
  });

  it('creates, lists and revokes API keys; a missing scope exits 4, a revoked key 3', async () => {
    const reader = await wrJson<{ apiKeyId: string; apiKey: string; scopes: string[] }>(
      ['apikeys', 'create', '--name', 'reader', '--scope', 'keys:read', '--scope', 'nodes:read'],
      { env },
    );
    assert.deepEqual(reader.scopes.sort(), ['keys:read', 'nodes:read']);
    const asReader = { WR_BASE_URL: env['WR_BASE_URL']!, WR_API_KEY: reader.apiKey };
    assert.equal((await wr(['keys', 'list'], { env: asReader })).code, 0);
    const denied = await wr(['keys', 'create', '--threshold', '2'], { env: asReader });
    assert.equal(denied.code, 4, denied.stderr);
    assert.match(denied.stderr, /PERMISSION_DENIED/);
    const listed = await wrJson<{ apiKeys: { apiKeyId: string; name: string; revoked: boolean }[] }>(['apikeys', 'list'], { env });
    assert.ok(listed.apiKeys.some((k) => k.apiKeyId === reader.apiKeyId && k.name === 'reader' && !k.revoked));
    assert.ok(!JSON.stringify(listed).includes(reader.apiKey), 'the key itself is never listed');
    assert.deepEqual(await wrJson(['apikeys', 'revoke', reader.apiKeyId], { env }), { apiKeyId: reader.apiKeyId, revoked: true });
    assert.equal((await wr(['keys', 'list'], { env: asReader })).code, 3);
    const badScope = await wr(['apikeys', 'create', '--name', 'x', '--scope', 'keys:everything'], { env });
    assert.equal(badScope.code, 2);
  });

  it('holds deletes for an approval: request, approve as another admin, and the delete runs', async () => {
    const policy = await wrJson<{ approvals: { component: string; approvals: number }[] }>(['policy', 'set', '--approvals', '1', '--for', 'DELETE_KEY_SHARE'], {
      env,
    });
    assert.deepEqual(policy.approvals, [{ component: 'DELETE_KEY_SHARE', approvals: 1 }]);
    const made = await wrJson<{ keyId: string; shares: { keyId: string }[] }>(['keys', 'create', '--threshold', '2', '--nodes', 'node-1,node-2'], { env });
    const target = made.shares[0]!.keyId;
    const held = await wr(['keys', 'delete', target], { env });
    assert.equal(held.code, 17, held.stderr);
    assert.match(held.stderr, /APPROVAL_REQUIRED[\s\S]*wr approvals request/);
    const request = await wrJson<{ approvalRequestId: string; status: string }>(
      ['approvals', 'request', 'DELETE_KEY_SHARE', JSON.stringify({ keyId: target })],
      { env },
    );
    assert.equal(request.status, 'pending');
    const listed = await wr(['approvals', 'list', '--pending'], { env });
    assert.match(listed.stdout, new RegExp(`${request.approvalRequestId}\\s+DELETE_KEY_SHARE`));
    const other = await wrJson<{ apiKey: string }>(['apikeys', 'create', '--name', 'second admin', '--scope', 'admin', '--scope', 'keys:delete'], { env });
    const ran = await wrJson<{ status: string; result: { deleted: boolean } }>(['approvals', 'approve', request.approvalRequestId], {
      env: { ...env, WR_API_KEY: other.apiKey },
    });
    assert.deepEqual([ran.status, ran.result.deleted], ['executed', true]);
    assert.equal((await wr(['keys', 'get', target], { env })).code, 5);
    await wrJson(['policy', 'set', '--approvals', '0', '--for', 'DELETE_KEY_SHARE'], { env });
    assert.match((await wr(['policy', 'show'], { env })).stdout, /no call needs approvals/);
  });

  it('exits with the code of each error, with a message that says what to do', async () => {
    const [unknown, badRecipient, secretAsRecipient, notFoundJson, noTarget] = await Promise.all([
      wr(['keys', 'get', 'key_00000000000000000000000000'], { env }),
      wr(['share', 'export', key.shares[0]!.keyId, '-r', 'age1notarecipient'], { env }),
      wr(['share', 'export', key.shares[0]!.keyId, '-r', 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQSS8YKE'], { env }),
      wr(['keys', 'get', 'key_00000000000000000000000000', '--json'], { env }),
      wr(['share', 'export', key.shares[0]!.keyId], { env }),
    ]);
    assert.equal(unknown.code, 5);
    assert.match(unknown.stderr, /NOT_FOUND/);
    assert.equal(badRecipient.code, 2);
    assert.match(badRecipient.stderr, /-r: .*bech32/);
    assert.equal(secretAsRecipient.code, 2);
    assert.match(secretAsRecipient.stderr, /is an age identity \(a secret key\)/);
    assert.doesNotMatch(secretAsRecipient.stderr, /AGE-SECRET-KEY-1Q/, 'the secret is not echoed');
    assert.equal(notFoundJson.code, 5);
    assert.equal((JSON.parse(notFoundJson.stderr) as { error: { code: string } }).error.code, 'NOT_FOUND');
    assert.equal(noTarget.code, 2);
    assert.match(noTarget.stderr, /-r age1\.\.\. or -R FILE/);

    // No API key anywhere: exit 3, and the message says where it looked.
    const empty = dir; // no .wr/ here
    const noKey = await wr(['keys', 'list'], { cwd: empty, env: {} });
    assert.equal(noKey.code, 3);
    assert.match(noKey.stderr, /no API key: pass --api-key or set WR_API_KEY \(no \.wr\/dev\.env in /);
    // In the network's folder, .wr/dev.env is found without any variable.
    const fromDevEnv = await wr(['keys', 'list', '--json'], { cwd: n.home, env: {} });
    assert.equal(fromDevEnv.code, 0, fromDevEnv.stderr);
    const flagKey = await wr(['nodes', '--api-key', env['WR_API_KEY']!, '--url', env['WR_BASE_URL']!], { cwd: empty, env: {} });
    assert.equal(flagKey.code, 0, flagKey.stderr);
    const wrongKey = await wr(['nodes'], { env: { ...env, WR_API_KEY: 'wr_not_a_real_key_0000000000000000000000' } });
    assert.equal(wrongKey.code, 3);

    const fixed = await wrJson<Created>(['keys', 'create', '--threshold', '2', '--nodes', 'node-1,node-2', '--no-exportable'], { env });
    const notExportable = await wr(['share', 'export', fixed.shares[0]!.keyId, '-r', alice.recipient], { env });
    assert.equal(notExportable.code, 6);
    assert.match(notExportable.stderr, /NOT_EXPORTABLE/);
  });

  it('shows and verifies the audit log; a broken chain exits 14', async () => {
    const shown = await wrJson<{ events: { seq: number; action: string }[] }>(['audit', 'show', '--limit', '3'], { env });
    assert.equal(shown.events.length, 3);
    assert.equal(shown.events[0]!.seq, 1);
    const later = await wrJson<{ events: { seq: number }[] }>(['audit', 'show', '--after', '2'], { env });
    assert.equal(later.events[0]!.seq, 3);
    const ok = await wr(['audit', 'verify'], { env });
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /audit log intact: \d+ entries/);

    const db = openDatabase(join(n.home, '.wr', 'workspace', 'workspace.db'));
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2").run();
    db.close();
    const broken = await wr(['audit', 'verify', '--json'], { env });
    assert.equal(broken.code, 14);
    const result = JSON.parse(broken.stdout) as { ok: boolean; firstBadSeq: number };
    assert.equal(result.ok, false);
    assert.equal(result.firstBadSeq, 2);
    assert.match(broken.stderr, /hash chain is broken at seq 2/);
  });
});
