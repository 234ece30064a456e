// Interoperability with the reference `age` CLI (1.1.x), both ways: files we
// write open with `age -d`, files `age` writes open with unwrap. X25519 (one
// and several recipients), armored and binary, identity files from
// age-keygen, and passphrases (age reads those from a terminal: it runs under
// `script`, which gives it a pseudo-terminal, and answers each prompt).
//
// age 1.1 predates post-quantum recipients; see interop-age-encryption.test.ts.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { generateIdentity, parseIdentityFile, recipientOf, unwrap, wrap, wrapWithPassphrase } from '../src/index.js';
import { rejectsWith, utf8 } from './helpers.js';

const TIMEOUT_MS = 60_000;

function tool(name: string): string | undefined {
  const r = spawnSync(name, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const ageVersion = tool('age');
const keygenVersion = tool('age-keygen');
const hasScript = spawnSync('script', ['--version'], { timeout: 10_000 }).status === 0;

/** Runs a command to completion; rejects with its stderr on failure or timeout. */
function run(cmd: string, args: string[], input?: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? code}): ${Buffer.concat(err).toString()}`));
    });
    child.stdin.end(input);
  });
}

const shellQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Runs `age` with a pseudo-terminal (util-linux `script`) and types `answer`
 * at every passphrase prompt, once the prompt has appeared. Killed (the whole
 * process group) after TIMEOUT_MS.
 */
function runWithTty(args: string[], answer: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const command = ['age', ...args].map(shellQuote).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let transcript = '';
    let answered = 0;
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, TIMEOUT_MS);
    const onOutput = (d: Buffer): void => {
      transcript += d.toString('latin1');
      const prompts = transcript.match(/passphrase/gi)?.length ?? 0;
      while (answered < prompts) {
        child.stdin.write(`${answer}\n`);
        answered++;
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin.destroy();
      if (code === 0) resolve();
      else reject(new Error(`age ${args.join(' ')} under script failed (${signal ?? code}); prompts answered: ${answered}`));
    });
  });
}

describe('interoperability with the age CLI', () => {
  if (ageVersion === undefined || keygenVersion === undefined || !hasScript) {
    it('needs age, age-keygen and script', () => {
      assert.fail('the age CLI (age, age-keygen) and util-linux script are required for this test: apt-get install age bsdutils');
    });
    return;
  }

  const dir = mkdtempSync(join(tmpdir(), 'wr-age-interop-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const path = (name: string): string => join(dir, `${n++}-${name}`);

  /** A fresh identity from age-keygen: its file (with comments) and recipient. */
  async function keygen(): Promise<{ file: string; text: string; recipient: string }> {
    const file = path('key.txt');
    await run('age-keygen', ['-o', file]);
    const text = readFileSync(file, 'utf8');
    const recipient = (await run('age-keygen', ['-y', file])).toString().trim();
    return { file, text, recipient };
  }

  async function ours(): Promise<{ file: string; identity: string; recipient: string }> {
    const g = await generateIdentity();
    const file = path('ours.txt');
    writeFileSync(file, `# made by @wr/age\n${g.identity.expose()}\n`, { mode: 0o600 });
    return { file, identity: g.identity.expose(), recipient: g.recipient };
  }

  it(`runs against ${ageVersion}`, () => {
    assert.match(ageVersion, /^v?1\./);
  });

  it('agrees on identity files and recipients (age-keygen files parse; age-keygen -y derives our recipients)', async () => {
    const k = await keygen();
    assert.match(k.text, /^# created: /m);
    const [id, ...rest] = parseIdentityFile(k.text);
    assert.equal(rest.length, 0);
    assert.equal(await recipientOf(id!), k.recipient);
    const o = await ours();
    assert.equal((await run('age-keygen', ['-y', o.file])).toString().trim(), o.recipient);
  });

  it('ours → age -d: X25519, one recipient', async () => {
    const o = await ours();
    const plaintext = utf8('ours to age, one recipient\n');
    const file = path('one.age');
    writeFileSync(file, await wrap(plaintext, [o.recipient]));
    assert.deepEqual(new Uint8Array(await run('age', ['-d', '-i', o.file, file])), plaintext);
  });

  it('ours → age -d: X25519, several recipients (ours and age-keygen’s), each identity opens it', async () => {
    const a = await ours();
    const b = await keygen();
    const c = await ours();
    const plaintext = utf8('ours to age, three recipients');
    const file = path('multi.age');
    writeFileSync(file, await wrap(plaintext, [a.recipient, b.recipient, c.recipient]));
    for (const key of [a.file, b.file, c.file]) assert.deepEqual(new Uint8Array(await run('age', ['-d', '-i', key, file])), plaintext);
    const stranger = await keygen();
    await assert.rejects(run('age', ['-d', '-i', stranger.file, file]), /no identity matched/);
  });

  it('ours → age -d: a larger payload over several STREAM chunks, read from stdin', async () => {
    const o = await ours();
    const plaintext = new Uint8Array(200_000).map((_, i) => (i * 31) & 0xff);
    const armored = await wrap(plaintext, [o.recipient]);
    assert.deepEqual(new Uint8Array(await run('age', ['-d', '-i', o.file], utf8(armored))), plaintext);
  });

  it('age → ours: X25519, armored and binary, one and several recipients', async () => {
    const k1 = await keygen();
    const k2 = await keygen();
    const o = await ours();
    const plaintext = utf8('age to ours');
    const armored = (await run('age', ['-e', '-a', '-r', k1.recipient], plaintext)).toString();
    assert.match(armored, /^-----BEGIN AGE ENCRYPTED FILE-----/);
    assert.deepEqual(await unwrap(armored, { identities: parseIdentityFile(k1.text) }), plaintext);
    const binary = new Uint8Array(await run('age', ['-e', '-r', k1.recipient, '-r', k2.recipient, '-r', o.recipient], plaintext));
    for (const ids of [parseIdentityFile(k1.text), parseIdentityFile(k2.text), [o.identity]]) {
      assert.deepEqual(await unwrap(binary, { identities: ids }), plaintext);
    }
    const stranger = await keygen();
    await rejectsWith(unwrap(binary, { identities: parseIdentityFile(stranger.text) }), 'NO_IDENTITY_MATCH', 'no match');
    // A bit flipped in age's payload is caught.
    const damaged = Uint8Array.from(binary);
    damaged[damaged.length - 5]! ^= 1;
    await rejectsWith(unwrap(damaged, { identities: [o.identity] }), 'WRAPPED_SHARE_CORRUPT', 'payload');
  });

  it('age → ours: encrypting to an identity file (-i with -e)', async () => {
    const k = await keygen();
    const plaintext = utf8('age -e -i');
    const binary = new Uint8Array(await run('age', ['-e', '-i', k.file], plaintext));
    assert.deepEqual(await unwrap(binary, { identities: parseIdentityFile(k.text) }), plaintext);
  });

  it('ours → age -d: passphrase', async () => {
    const plaintext = utf8('ours to age, passphrase');
    const file = path('pass.age');
    const out = path('pass.out');
    writeFileSync(file, await wrapWithPassphrase(plaintext, 'horse battery staple', { logN: 12 }));
    await runWithTty(['-d', '-o', out, file], 'horse battery staple');
    assert.deepEqual(new Uint8Array(readFileSync(out)), plaintext);
  });

  it('age -p → ours: passphrase (age’s default work factor, 2^18)', async () => {
    const plaintext = utf8('age to ours, passphrase');
    const input = path('plain.txt');
    const file = path('pass-age.age');
    writeFileSync(input, plaintext);
    await runWithTty(['-p', '-a', '-o', file, input], 'correct horse');
    const armored = readFileSync(file, 'utf8');
    assert.match(armored, /^-----BEGIN AGE ENCRYPTED FILE-----/);
    assert.deepEqual(await unwrap(armored, { passphrases: ['correct horse'] }), plaintext);
    await rejectsWith(unwrap(armored, { passphrases: ['correct horsE'] }), 'NO_IDENTITY_MATCH', 'no match');
  });
});
