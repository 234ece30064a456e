/** `npm start` is `wr dev`: up in one command, Ctrl-C stops it cleanly, a restart finds the same keys and API key. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ComponentModule, WorkspaceClient } from 'caller-sdk';
import { ROOT, scratchDir } from '@wr/cli/test-network';

const WR = join(ROOT, 'packages', 'cli', 'bin', 'wr.js');

function startDev(dir: string, port: number): { child: ChildProcess; output: () => string; ready: Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [WR, 'dev', '--dir', dir, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const ready = new Promise<void>((res, rej) => {
    const timer = setInterval(() => {
      if (out.includes('Press Ctrl-C to stop.')) {
        clearInterval(timer);
        res();
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      rej(new Error(`wr dev exited (${code}) before it was up:\n${out}`));
    });
  });
  return { child, output: () => out, ready, exited };
}

const readEnv = (dir: string) =>
  Object.fromEntries(
    readFileSync(join(dir, 'dev.env'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('=', 2) as [string, string]),
  );

test('wr dev starts the network, stops on Ctrl-C, and a restart finds the same keys and API key', async () => {
  const dir = scratchDir('dev');
  try {
    const first = startDev(dir, 0);
    await first.ready;
    const env = readEnv(dir);
    assert.match(env['WR_API_KEY']!, /^wr_[0-9a-z]{40}$/);
    assert.ok(first.output().includes(env['WR_API_KEY']!), 'the API key is printed');
    assert.match(first.output(), /default target node: node-4/);
    const client = new WorkspaceClient({ apiKey: env['WR_API_KEY']!, baseUrl: env['WR_BASE_URL']! });
    const before = await client.call(ComponentModule.LIST_NODES, {}).promise();
    assert.deepEqual(
      before.nodes.map((n) => [n.nodeId, n.status]),
      [
        ['node-1', 'up'],
        ['node-2', 'up'],
        ['node-3', 'up'],
        ['node-4', 'up'],
      ],
    );
    const key = await client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise();

    first.child.kill('SIGINT');
    assert.equal(await first.exited, 0);
    assert.match(first.output(), /stopped\.\n/);
    await assert.rejects(client.call(ComponentModule.LIST_NODES, {}, { timeoutMs: 2000, retryWindowMs: 500 }).promise(), {
      code: 'WORKSPACE_UNAVAILABLE',
    });

    const second = startDev(dir, 0);
    await second.ready;
    const env2 = readEnv(dir);
    assert.equal(env2['WR_API_KEY'], env['WR_API_KEY']);
    const again = new WorkspaceClient({ apiKey: env2['WR_API_KEY']!, baseUrl: env2['WR_BASE_URL']! });
    const after = await again.call(ComponentModule.LIST_NODES, {}).promise();
    assert.deepEqual(
      after.nodes.map((n) => n.recipientKey),
      before.nodes.map((n) => n.recipientKey),
    );
    const sig = await again.call(ComponentModule.SIGN, { keyIds: key.shares.map((s) => s.keyId), message: 'abcd' }).promise();
    assert.equal(sig.publicKey, key.publicKey);
    second.child.kill('SIGINT');
    assert.equal(await second.exited, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wr dev on a port already taken says so and exits non-zero', async () => {
  const dir = scratchDir('dev-port');
  const blocker = createServer();
  await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', () => res()));
  try {
    const port = (blocker.address() as AddressInfo).port;
    const run = startDev(dir, port);
    run.ready.catch(() => undefined); // it is meant to fail
    const code = await run.exited;
    assert.notEqual(code, 0);
    assert.match(run.output(), new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    assert.doesNotMatch(run.output(), /\n\s+at /, 'no stack trace');
  } finally {
    blocker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The pid of the one running server whose command line names `path` (its data dir or config file), or 0. */
function serverPid(path: string): number {
  const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // it exited meanwhile
    }
    if (args.includes(path) && args.includes('start')) return Number(pid);
  }
  return 0;
}

test('wr dev restarts a node or the workspace that was SIGKILLed, within 10 s, and every key still signs', async () => {
  const dir = scratchDir('dev-supervise');
  try {
    const run = startDev(dir, 0);
    await run.ready;
    const env = readEnv(dir);
    const client = new WorkspaceClient({ apiKey: env['WR_API_KEY']!, baseUrl: env['WR_BASE_URL']! });
    const keys = await Promise.all(
      [
        ['node-1', 'node-2'],
        ['node-2', 'node-3'],
      ].map((nodeIds) => client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds }).promise()),
    );
    const pidOf = (name: string) => serverPid(name === 'workspace' ? join(dir, 'workspace', 'config.json') : join(dir, name));

    for (const name of ['node-2', 'workspace']) {
      const pid = pidOf(name);
      assert.ok(pid > 0, `${name} is running`);
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      for (;;) {
        const back = await client
          .call(ComponentModule.LIST_NODES, {}, { timeoutMs: 1000 })
          .promise()
          .then((r) => r.nodes.every((n) => n.status === 'up'))
          .catch(() => false);
        if (back && ![0, pid].includes(pidOf(name))) break;
        assert.ok(Date.now() - killedAt < 10_000, `${name} was not back within 10 s:\n${run.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(run.output(), new RegExp(`${name} stopped unexpectedly \\(SIGKILL\\)`));
      assert.match(run.output(), new RegExp(`${name} is back at https?://127\\.0\\.0\\.1:\\d+`));
      for (const key of keys) {
        const sig = await client.call(ComponentModule.SIGN, { keyIds: key.shares.map((s) => s.keyId), message: 'beef' }).promise();
        assert.equal(sig.publicKey, key.publicKey);
      }
    }

    run.child.kill('SIGINT');
    assert.equal(await run.exited, 0, 'Ctrl-C still stops every server, restarted ones included');
    for (const name of ['node-2', 'workspace']) assert.equal(pidOf(name), 0, `the restarted ${name} is stopped`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
