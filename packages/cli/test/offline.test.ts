/**
 * The offline tools, on shares exported from a real network to identities
 * made by stock `age-keygen`: `wr share inspect` and `wr recover`. Neither
 * ever prints key material.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { Secret } from '@wr/common';
import { signWithGroupSecret } from '@wr/crypto';
import { checkSecretDestination } from '../src/offline/secret-output.js';
import { startTestNetwork, type TestNetwork } from './support/network.js';
import { WR_BIN, tool, wr, wrJson } from './support/wr.js';

interface Created {
  publicKey: string;
  shares: { nodeId: string; keyId: string; identifier: string }[];
}

interface Inspected {
  ok: boolean;
  checks: { check: string; ok: boolean; detail?: string }[];
  envelope?: { groupPublicKey: string; identifier: string; ciphersuite: string; minSigners: number; maxSigners: number; source: { keyId: string } };
}

/** Scalar bytes are little-endian for Ed25519 (RFC 8032 §5.1.2). */
const scalarOf = (hex: string) => BigInt('0x' + Buffer.from(hex, 'hex').reverse().toString('hex'));

describe('wr offline tools: share inspect and recover', () => {
  let n: TestNetwork;
  let dir: string;
  let key: Created;
  let other: Created;
  const ids: Record<'alice' | 'bob', { file: string; recipient: string }> = {} as never;
  /** share index → wrapped file; shares 1 and 3 to alice, 2 to bob. */
  const files: string[] = [];
  /** The signing shares in the files, read with stock age: the outputs must not hold them. */
  const signingShares: string[] = [];

  const noSecretIn = (text: string, what: string, extra: string[] = []) => {
    for (const s of [...signingShares, ...extra]) assert.ok(!text.includes(s), `${what} must not hold key material`);
  };

  before(async () => {
    n = await startTestNetwork('offline');
    dir = join(n.home, 'files');
    mkdirSync(dir);
    for (const name of ['alice', 'bob'] as const) {
      const file = join(dir, `${name}.key`);
      await tool('age-keygen', ['-o', file]);
      ids[name] = { file, recipient: (await tool('age-keygen', ['-y', file])).trim() };
    }
    [key, other] = await Promise.all([
      wrJson<Created>(['keys', 'create', '--threshold', '2', '--nodes', 'node-1,node-2,node-3'], { env: n.env }),
      wrJson<Created>(['keys', 'create', '--threshold', '2', '--nodes', 'node-1,node-2'], { env: n.env }),
    ]);
    const holders = [ids.alice, ids.bob, ids.alice];
    await Promise.all(
      key.shares.map(async (s, i) => {
        files[i] = join(dir, `share-${i + 1}.age`);
        const r = await wr(['share', 'export', s.keyId, '-r', holders[i]!.recipient, '-o', files[i]!], { env: n.env });
        assert.equal(r.code, 0, r.stderr);
        signingShares[i] = (JSON.parse(await tool('age', ['-d', '-i', holders[i]!.file, files[i]!])) as { signingShare: string }).signingShare;
      }),
    );
    files[3] = join(dir, 'other-key.age');
    assert.equal((await wr(['share', 'export', other.shares[0]!.keyId, '-r', ids.bob.recipient, '-o', files[3]], { env: n.env })).code, 0);
    // From here on nothing needs the network: prove it by stopping it.
    await n.stop();
  });
  after(async () => {
    await n?.cleanup();
  });

  it('inspect shows the public parts and every check, and hides the signing share', async () => {
    const [json, human] = await Promise.all([
      wr(['share', 'inspect', files[0]!, '-i', ids.alice.file, '--json']),
      wr(['share', 'inspect', files[0]!, '-i', ids.alice.file]),
    ]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as Inspected;
    assert.equal(report.ok, true);
    for (const check of ['version', 'signature', 'vss', 'signing-share', 'verifying-shares']) {
      assert.ok(
        report.checks.some((c) => c.check === check && c.ok),
        `check ${check} ran and passed`,
      );
    }
    assert.equal(report.envelope!.groupPublicKey, key.publicKey);
    assert.equal(report.envelope!.identifier, key.shares[0]!.identifier);
    assert.equal(report.envelope!.source.keyId, key.shares[0]!.keyId);
    assert.deepEqual([report.envelope!.minSigners, report.envelope!.maxSigners, report.envelope!.ciphersuite], [2, 3, 'frost-ed25519']);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /signing share\s+\(hidden\)/);
    assert.match(human.stdout, /all \d+ checks passed/);
    noSecretIn(json.stdout + json.stderr + human.stdout + human.stderr, 'inspect output');
  });

  it('inspect: the wrong identity exits 7, a damaged file 8, a forged envelope 9', async () => {
    const armored = readFileSync(files[0]!, 'utf8');
    const lines = armored.split('\n');
    const i = 4; // a line inside the payload
    lines[i] = lines[i]!.slice(0, 8) + (lines[i]![8] === 'A' ? 'B' : 'A') + lines[i]!.slice(9);
    const damaged = join(dir, 'damaged.age');
    writeFileSync(damaged, lines.join('\n'));

    // A forged share: opened with stock age, one field changed, wrapped again to alice.
    const plain = JSON.parse(await tool('age', ['-d', '-i', ids.alice.file, files[0]!])) as Record<string, unknown>;
    const forged = join(dir, 'forged.age');
    writeFileSync(forged, await tool('age', ['-a', '-r', ids.alice.recipient], JSON.stringify({ ...plain, epoch: 7 })));

    const [wrongId, wrongIdJson, corrupt, forgedHuman, forgedJson, notTrusted] = await Promise.all([
      wr(['share', 'inspect', files[0]!, '-i', ids.bob.file]),
      wr(['share', 'inspect', files[0]!, '-i', ids.bob.file, '--json']),
      wr(['share', 'inspect', damaged, '-i', ids.alice.file]),
      wr(['share', 'inspect', forged, '-i', ids.alice.file]),
      wr(['share', 'inspect', forged, '-i', ids.alice.file, '--json']),
      wr(['share', 'inspect', files[0]!, '-i', ids.alice.file, '--exporter-key', 'ab'.repeat(32)]),
    ]);
    assert.equal(wrongId.code, 7);
    assert.match(wrongId.stderr, /NO_IDENTITY_MATCH/);
    assert.equal((JSON.parse(wrongIdJson.stderr) as { error: { code: string } }).error.code, 'NO_IDENTITY_MATCH');
    assert.equal(corrupt.code, 8);
    assert.match(corrupt.stderr, /WRAPPED_SHARE_CORRUPT/);
    assert.equal(forgedHuman.code, 9);
    assert.match(forgedHuman.stdout, /FAIL\s+signature/);
    assert.match(forgedHuman.stderr, /SHARE_INVALID: .*failed signature/);
    const report = JSON.parse(forgedJson.stdout) as Inspected;
    assert.equal(report.ok, false);
    assert.equal(report.envelope, undefined, 'a share that fails its checks is not described');
    assert.deepEqual(
      report.checks.filter((c) => !c.ok).map((c) => c.check),
      ['signature'],
    );
    assert.equal(notTrusted.code, 9);
    assert.match(notTrusted.stdout, /FAIL\s+exporter-trusted/);
    for (const r of [wrongId, corrupt, forgedHuman, forgedJson, notTrusted]) noSecretIn(r.stdout + r.stderr, 'inspect output');
  });

  it('recover rebuilds the group key from shares wrapped to two age-keygen identities, and it signs', async () => {
    const out = join(dir, 'group.key');
    const r = await wr(['recover', '-i', ids.alice.file, '-i', ids.bob.file, files[0]!, files[1]!, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const hex = readFileSync(out, 'utf8').trim();
    assert.match(hex, /^[0-9a-f]{64}$/);
    assert.match(r.stdout, new RegExp(`group public key\\s+${key.publicKey}`));
    assert.match(r.stdout, /scheme\s+frost-ed25519/);
    noSecretIn(r.stdout + r.stderr, 'recover output', [hex]);

    // secret × G is the group public key ...
    assert.equal(Buffer.from(ed25519.Point.BASE.multiply(scalarOf(hex)).toBytes()).toString('hex'), key.publicKey);
    // ... and it signs alone: a standard Ed25519 verifier (node:crypto) accepts the signature.
    const message = Buffer.from('recovered key, offline');
    const signature = signWithGroupSecret('frost-ed25519', message, new Secret(Uint8Array.from(Buffer.from(hex, 'hex'))));
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(key.publicKey, 'hex')]);
    assert.ok(verify(null, message, createPublicKey({ key: spki, format: 'der', type: 'spki' }), signature));

    // Any two shares give the same key; to a pipe, the hex goes to stdout and the report to stderr.
    const piped = await wr(['recover', '-i', ids.alice.file, files[0]!, files[2]!, '-o', '-', '--json']);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout.trim(), hex);
    const report = JSON.parse(piped.stderr) as { groupPublicKey: string; used: { identifier: string }[]; proven: boolean };
    assert.equal(report.groupPublicKey, key.publicKey);
    assert.equal(report.used.length, 2);
    assert.equal(report.proven, true);
    noSecretIn(piped.stderr, 'recover report', [hex]);
  });

  it('recover refuses a terminal, an existing file, too few shares and mixed keys', async () => {
    assert.throws(() => checkSecretDestination('-', false, true), /refusing to print a private key to a terminal/);
    const onTty = spawnSync(
      'script',
      ['-qec', `${process.execPath} ${WR_BIN} recover -i ${ids.alice.file} -i ${ids.bob.file} ${files[0]} ${files[1]} -o -`, '/dev/null'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(onTty.status, 2, onTty.stdout);
    assert.match(onTty.stdout, /refusing to print a private key to a terminal/);
    assert.doesNotMatch(onTty.stdout, /[0-9a-f]{64}/);

    const existing = join(dir, 'exists.key');
    writeFileSync(existing, 'keep me\n');
    const [clobber, tooFew, sameTwice, mixed, noIdentity] = await Promise.all([
      wr(['recover', '-i', ids.alice.file, '-i', ids.bob.file, files[0]!, files[1]!, '-o', existing]),
      wr(['recover', '-i', ids.alice.file, files[0]!, '-o', join(dir, 'few.key')]),
      wr(['recover', '-i', ids.alice.file, files[0]!, files[0]!, '-o', join(dir, 'twice.key')]),
      wr(['recover', '-i', ids.alice.file, '-i', ids.bob.file, files[0]!, files[3]!, '-o', join(dir, 'mixed.key')]),
      wr(['recover', '-i', ids.alice.file, files[0]!, files[1]!, '-o', join(dir, 'noid.key')]),
    ]);
    assert.equal(clobber.code, 2);
    assert.match(clobber.stderr, /already exists: .*--force/);
    assert.equal(readFileSync(existing, 'utf8'), 'keep me\n');
    assert.equal(tooFew.code, 2);
    assert.match(tooFew.stderr, /needs 2 distinct shares to recover, got 1/);
    assert.equal(sameTwice.code, 2);
    assert.match(sameTwice.stderr, /repeat a share/);
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /share of another key/);
    assert.equal(noIdentity.code, 7, "bob's share with only alice's identity");
    assert.match(noIdentity.stderr, /share-2\.age: no identity matches/);
    for (const f of ['few.key', 'twice.key', 'mixed.key', 'noid.key']) assert.ok(!existsSync(join(dir, f)), `${f} is not written`);
    const forced = await wr(['recover', '-i', ids.alice.file, '-i', ids.bob.file, files[0]!, files[1]!, '-o', existing, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(readFileSync(existing, 'utf8'), /^[0-9a-f]{64}\n$/);
    assert.equal(statSync(existing).mode & 0o777, 0o600);
  });
});
