/**
 * `wr migrate` of 200 shares, killed halfway (SIGKILL) and run again: each
 * share moves exactly once, the state file lists all 200, and every moved
 * share signs. Shares that may not be exported are skipped, run after run.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MigrationState } from '../src/migrate/state.js';
import type { MigrationSummary } from '../src/migrate/migrate.js';
import { ROOT, startTestNetwork, type TestNetwork } from './support/network.js';
import { WR_BIN, wr } from './support/wr.js';

const SHARES = 200;

function ed25519Verify(publicKeyHex: string, message: Uint8Array, signatureHex: string): boolean {
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(publicKeyHex, 'hex')]);
  return verify(null, message, createPublicKey({ key: spki, format: 'der', type: 'spki' }), Buffer.from(signatureHex, 'hex'));
}

async function pool<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!);
      }
    }),
  );
  return out;
}

const readState = (path: string): MigrationState | undefined => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as MigrationState) : undefined);
const doneIn = (s: MigrationState | undefined) => Object.values(s?.shares ?? {}).filter((r) => r.status === 'done').length;

describe('wr migrate', () => {
  let n: TestNetwork;
  /** The source shares on node-1: keyId → group public key and participant identifier. */
  const sourceShares = new Map<string, { publicKey: string; identifier: string }>();

  before(async () => {
    n = await startTestNetwork('migrate');
    // One key by DKG for each share, 2-of-2 on node-1 and node-2: a node holds at most one share of a key.
    const keys = await pool(Array.from({ length: SHARES }), 8, () =>
      n.client.call('CREATE_KEY', { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise(),
    );
    for (const k of keys) {
      const own = k.shares.find((s) => s.nodeId === 'node-1')!;
      sourceShares.set(own.keyId, { publicKey: k.publicKey, identifier: own.identifier });
    }
    assert.equal(sourceShares.size, SHARES);
  });
  after(async () => {
    await n?.cleanup();
  });

  it(`moves ${SHARES} shares across a SIGKILL, each exactly once, and each moved share signs`, async () => {
    const statePath = join(n.home, 'migrate-state.json');
    const args = ['migrate', '--from', 'node-1', '--to', 'node-4', '--state', statePath, '--concurrency', '8'];

    // First run: killed once about half the shares are recorded as moved.
    const first = spawn(process.execPath, [WR_BIN, ...args], {
      cwd: n.home,
      env: { PATH: process.env['PATH'] ?? '', ...n.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let firstErr = '';
    first.stderr.setEncoding('utf8').on('data', (d: string) => (firstErr += d));
    const exited = new Promise<NodeJS.Signals | null>((res) => first.once('exit', (_code, signal) => res(signal)));
    let doneAtKill = 0;
    for (;;) {
      doneAtKill = doneIn(readState(statePath));
      if (doneAtKill >= SHARES / 2 || first.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    first.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL', `the first run was killed, not finished (${firstErr.slice(-500)})`);
    assert.ok(doneAtKill >= SHARES / 2 && doneAtKill < SHARES, `killed halfway: ${doneAtKill} done`);
    assert.match(firstErr, /^moving node-1 → node-4: 200 shares\n\[1\/200\] moved key_/, 'plain progress lines when stderr is not a terminal');

    // Second run: picks up where the first stopped.
    const second = await wr([...args, '--json'], { cwd: n.home, env: n.env });
    assert.equal(second.code, 0, second.stderr);
    const summary = JSON.parse(second.stdout) as MigrationSummary;
    assert.equal(summary.shares, SHARES);
    assert.equal(summary.moved + summary.alreadyMoved, SHARES);
    assert.ok(summary.alreadyMoved >= doneAtKill, `${summary.alreadyMoved} already moved`);
    assert.equal(summary.failed, 0);
    assert.equal(summary.verified, SHARES);
    assert.equal(summary.verifyFailed, 0);
    assert.equal(summary.sourceDeleted, 0, 'source shares are kept without --delete-source');
    assert.ok(summary.sharesPerSecond > 0);

    // The state file: every source share done, once, each with its own new keyId, each proven to sign.
    const state = readState(statePath)!;
    assert.deepEqual(Object.keys(state.shares).sort(), [...sourceShares.keys()].sort());
    const records = Object.values(state.shares);
    assert.ok(records.every((r) => r.status === 'done' && r.verified === true && r.error === undefined));
    assert.equal(new Set(records.map((r) => r.newKeyId)).size, SHARES, 'no two source shares share a new keyId');

    // node-4 holds exactly the 200 moved shares: none imported twice.
    const onTarget = (await n.client.call('LIST_KEYS', { nodeId: 'node-4', limit: 1000 }).promise()).keys.filter((k) => k.origin === 'imported');
    assert.equal(onTarget.length, SHARES);
    assert.deepEqual(onTarget.map((k) => k.keyId).sort(), records.map((r) => r.newKeyId!).sort());
    const shareName = (s: { publicKey: string; identifier: string }) => `${s.publicKey}/${s.identifier}`;
    assert.deepEqual(onTarget.map(shareName).sort(), [...sourceShares.values()].map(shareName).sort(), 'the same shares, each once');
    for (const [source, record] of Object.entries(state.shares))
      assert.equal(shareName(record as { publicKey: string; identifier: string }), shareName(sourceShares.get(source)!));

    // Independently of the CLI's own check: a sample of moved shares signs with a share on node-2 or node-3.
    const others = [
      ...(await n.client.call('LIST_KEYS', { nodeId: 'node-2', limit: 1000 }).promise()).keys,
      ...(await n.client.call('LIST_KEYS', { nodeId: 'node-3', limit: 1000 }).promise()).keys,
    ];
    const message = Buffer.from('moved and still signing');
    await pool(
      onTarget.filter((_, i) => i % 10 === 0),
      4,
      async (k) => {
        const partner = others.find((o) => o.publicKey === k.publicKey && o.identifier !== k.identifier)!;
        const { signature } = await n.client.call('SIGN', { keyIds: [k.keyId, partner.keyId], message: message.toString('hex') }).promise();
        assert.ok(ed25519Verify(k.publicKey, message, signature), `${k.keyId} signs`);
      },
    );

    // A third run has nothing left to do; its summary says so.
    const third = await wr(args, { cwd: n.home, env: n.env });
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stdout, /moved\s+0\n\s+already moved\s+200\n\s+failed\s+0/);
    assert.match(third.stdout, /signing check\s+200 of 200 moved shares sign/);
  });

  it('deletes source shares only with --delete-source, and reports shares that cannot move', async () => {
    const statePath = join(n.home, 'migrate-state.json');
    const [a, b, c] = [...sourceShares.keys()];
    const deleted = await wr(['migrate', '--from', 'node-1', '--to', 'node-4', '--state', statePath, '--key', a!, '--key', b!, '--delete-source', '--json'], {
      cwd: n.home,
      env: n.env,
    });
    assert.equal(deleted.code, 0, deleted.stderr);
    const s = JSON.parse(deleted.stdout) as MigrationSummary;
    assert.deepEqual([s.shares, s.alreadyMoved, s.sourceDeleted], [2, 2, 2]);
    const lookup = (keyId: string) =>
      n.client
        .call('GET_KEY', { keyId })
        .promise()
        .then(
          () => 'present',
          (err: { code?: string }) => err.code,
        );
    assert.deepEqual(await Promise.all([a!, b!, c!].map(lookup)), ['NOT_FOUND', 'NOT_FOUND', 'present'], 'the two source shares are gone, the others stay');

    // On a terminal, a progress bar instead of lines.
    const [d, e] = [...sourceShares.keys()].slice(3, 5);
    const tty = spawnSync(
      'script',
      [
        '-qec',
        [process.execPath, WR_BIN, 'migrate', '--from', 'node-1', '--to', 'node-4', '--state', join(n.home, 'tty-state.json'), '--key', d!, '--key', e!].join(
          ' ',
        ),
        '/dev/null',
      ],
      {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] ?? '', ...n.env },
      },
    );
    assert.equal(tty.status, 0, tty.stdout);
    assert.match(tty.stdout, /moving node-1 → node-4 +\[[█░]+\] 2\/2 \| 0 failed/);
    assert.match(tty.stdout, /already moved\s+0/);

    const missing = 'key_00000000000000000000000000';
    const failed = await wr(['migrate', '--from', 'node-1', '--to', 'node-4', '--state', join(n.home, 'other-state.json'), '--key', missing], {
      cwd: n.home,
      env: n.env,
    });
    assert.equal(failed.code, 14);
    assert.match(failed.stdout, /failed\s+1/);
    assert.match(failed.stdout, new RegExp(`${missing}\\s+move\\s+NOT_FOUND`));
    assert.match(failed.stderr, /1 share did not finish/);
    const same = await wr(['migrate', '--from', 'node-1', '--to', 'node-1'], { cwd: n.home, env: n.env });
    assert.equal(same.code, 2);
  });

  it('skips shares that are not exportable, with a note, on every run; its state file is .wr/migrate-FROM-TO.json, git-ignored', async () => {
    const create = (exportable: boolean) =>
      n.client.call('CREATE_KEY', { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'], exportable }).promise();
    const onNode1 = (k: Awaited<ReturnType<typeof create>>) => k.shares.find((s) => s.nodeId === 'node-1')!.keyId;
    const movable = onNode1(await create(true));
    const fixed = [onNode1(await create(false)), onNode1(await create(false))];
    const args = ['migrate', '--from', 'node-1', '--to', 'node-4', '--key', movable, ...fixed.flatMap((k) => ['--key', k])];

    const first = await wr(args, { cwd: n.home, env: n.env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /shares\s+3\n\s+moved\s+1\n\s+already moved\s+0\n\s+failed\s+0\n\s+skipped\s+2 not exportable, left on node-1/);
    for (const k of fixed) {
      assert.match(first.stdout, new RegExp(`${k}\\s+NOT_EXPORTABLE\\s+${k} was created with exportable: false`));
      assert.match(first.stderr, new RegExp(`skipped ${k}: `));
    }
    assert.doesNotMatch(first.stdout, /failures/);

    // Run again: the moved share is done, the others are skipped again, and nothing fails.
    const again = await wr([...args, '--json'], { cwd: n.home, env: n.env });
    assert.equal(again.code, 0, again.stderr);
    const s = JSON.parse(again.stdout) as MigrationSummary;
    assert.deepEqual([s.shares, s.moved, s.alreadyMoved, s.failed, s.skipped, s.verified], [3, 0, 1, 0, 2, 1]);
    assert.deepEqual(s.skippedShares.map((k) => [k.keyId, k.code]).sort(), fixed.map((k) => [k, 'NOT_EXPORTABLE']).sort());
    assert.equal(s.sharesPerSecond, 0, 'nothing moved by this run');
    assert.equal(s.stateFile, join('.wr', 'migrate-node-1-node-4.json'));

    // The state file lists the moved share only; the skipped ones stay on node-1.
    const state = readState(join(n.home, '.wr', 'migrate-node-1-node-4.json'))!;
    assert.deepEqual(Object.keys(state.shares), [movable]);
    for (const k of fixed) assert.equal((await n.client.call('GET_KEY', { keyId: k }).promise()).nodeId, 'node-1');
    if (existsSync(join(ROOT, '.git'))) {
      // Where `wr migrate` run in the repository writes it (this test's home is under .tmp/, ignored anyway).
      const ignored = spawnSync('git', ['check-ignore', '-q', '--no-index', join('.wr', 'migrate-node-1-node-4.json')], { cwd: ROOT });
      assert.equal(ignored.status, 0, 'git ignores .wr/migrate-*.json');
    }
  });
});
