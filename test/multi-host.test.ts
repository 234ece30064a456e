/**
 * Nodes on their own hosts, as docs/deploy.md sets them up: four nodes and a workspace, each in its own Linux network
 * namespace with its own address, joined by a bridge. Each node is provisioned with `wr node init` on its host, the
 * roster is signed from the entries they print, and workspace↔node traffic runs over mutual TLS with pinned
 * certificates. Over that: CREATE_KEY, SIGN, the seed example's export and import, and `wr migrate`; a node's link cut
 * mid-DKG and mid-migration; and a capture of a link that must show TLS records and no credential or share.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKey, ComponentModule, WorkspaceClient } from 'caller-sdk';
import { generateIdentity, unwrap } from '@wr/age';
import { openEnvelope } from '@wr/crypto';
import { randomId } from '@wr/common';
import { ROOT, scratchDir } from '@wr/cli/test-network';
import { Lab, netnsUnavailable } from './support/netns.js';
import { ed25519Verify } from './support/verify.js';
import { failureCode } from './support/crash-inventory.js';

const CLI_MAIN = join(ROOT, 'packages', 'cli', 'dist', 'src', 'main.js');
const WR_BIN = join(ROOT, 'packages', 'cli', 'bin', 'wr.js');
const NODES = ['n1', 'n2', 'n3', 'n4'] as const;
const nodeId = (h: string) => `node-${h.slice(1)}`;
const address = (h: string) => (h === 'ws' ? '10.77.0.10' : `10.77.0.1${h.slice(1)}`);
/** Requests to a node give up after this long: a cut link fails a call within a few of these, never hangs. */
const NODE_TIMEOUT_MS = 10_000;

const unavailable = netnsUnavailable();
let lab: Lab | undefined;
let home: string;
const servers = new Map<string, { child: ChildProcess; output: () => string }>();
let apiKey: string;
let admin: ApiKey;
let client: WorkspaceClient;
let baseUrl: string;
let nodeTokens: string[];
let workspaceFingerprint: string;
const envFor = () => ({ WR_BASE_URL: baseUrl, WR_API_KEY: apiKey, WR_ADMIN_PUBLIC_KEY: admin.publicKey });

/** `ip netns exec NS node wr ...`: a command run on one host. */
function onHost(host: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', lab!.hosts.get(host)!.ns, process.execPath, CLI_MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts a long-running server on a host and resolves once it listens (its log says so). */
function serve(host: string, args: string[]): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', lab!.hosts.get(host)!.ns, process.execPath, CLI_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  servers.set(host, { child, output: () => out });
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/Server listening at/.test(out)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${host} exited (${code}) before it listened:\n${out}`)));
  });
}

async function stopServers(): Promise<void> {
  await Promise.all(
    [...servers.values()].map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => (clearTimeout(kill), resolve()));
          child.kill('SIGTERM');
        }),
    ),
  );
  servers.clear();
}

/** Resolves once the host's node has logged a request whose path matches (its log level is debug). */
function whenNodeServes(host: string, path: RegExp): Promise<void> {
  const { child, output } = servers.get(host)!;
  return new Promise((resolve) => {
    const seen = () =>
      output()
        .split('\n')
        .some((l) => l.includes('"msg":"request"') && path.test(l));
    const check = () => {
      if (seen()) {
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    check();
  });
}

async function signs(keyIds: string[], publicKey: string): Promise<void> {
  const message = randomBytes(16).toString('hex');
  const r = await client.call(ComponentModule.SIGN, { keyIds, message }).promise();
  assert.equal(r.publicKey, publicKey);
  assert.ok(ed25519Verify(publicKey, message, r.signature), `SIGN with ${keyIds.join(', ')}: the signature does not verify`);
}

before(async () => {
  if (unavailable) return;
  home = scratchDir('multi-host');
  lab = new Lab();
  for (const h of [...NODES, 'ws']) lab.addHost(h, address(h));

  // On the workspace host: its TLS client certificate, whose fingerprint every node pins.
  const wsInit = onHost('ws', ['workspace', 'init', '--data-dir', join(home, 'ws', 'data')]);
  assert.equal(wsInit.status, 0, wsInit.stderr);
  workspaceFingerprint = (JSON.parse(wsInit.stdout) as { tlsCertFingerprint: string }).tlsCertFingerprint;

  // On each node host: wr node init prints the roster entry; the master key stays outside the data directory.
  const entries = NODES.map((h) => {
    const r = onHost(h, [
      'node',
      'init',
      '--data-dir',
      join(home, h, 'data'),
      '--id',
      nodeId(h),
      '--url',
      `https://${address(h)}:7401`,
      '--master-key-file',
      join(home, h, 'master.key'),
    ]);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { nodeId: string; url: string; tlsCertFingerprint: string };
  });
  // Idempotent: a second run prints the same entry.
  assert.deepEqual(
    JSON.parse(onHost('n1', ['node', 'init', '--data-dir', join(home, 'n1', 'data'), '--master-key-file', join(home, 'n1', 'master.key')]).stdout),
    entries[0],
  );

  // The admin signs the roster from the printed entries, and copies each node's workspace credential to the workspace host.
  apiKey = randomId('wr_', 40);
  admin = new ApiKey(apiKey);
  const rosterFile = join(home, 'ws', 'roster.json');
  writeFileSync(rosterFile, JSON.stringify(admin.signRoster({ version: 1, issuedAt: new Date().toISOString(), nodes: entries as never })));
  nodeTokens = NODES.map((h) => {
    copyFileSync(join(home, h, 'data', 'workspace.token'), join(home, 'ws', `${nodeId(h)}.token`));
    return readFileSync(join(home, h, 'data', 'workspace.token'), 'utf8').trim();
  });

  await Promise.all(
    NODES.map((h) =>
      serve(h, [
        'node',
        'start',
        '--data-dir',
        join(home, h, 'data'),
        '--master-key-file',
        join(home, h, 'master.key'),
        '--host',
        address(h),
        '--port',
        '7401',
        '--admin-public-key',
        admin.publicKey,
        '--workspace-cert-fingerprint',
        workspaceFingerprint,
        '--log-level',
        'debug',
      ]),
    ),
  );
  const config = {
    host: address('ws'),
    port: 7400,
    dataDir: join(home, 'ws', 'data'),
    adminPublicKey: admin.publicKey,
    rosterFile,
    defaultNode: 'node-4',
    nodeTimeoutMs: NODE_TIMEOUT_MS,
    nodes: entries.map((e) => ({ nodeId: e.nodeId, url: e.url, tokenFile: join(home, 'ws', `${e.nodeId}.token`) })),
  };
  writeFileSync(join(home, 'ws', 'config.json'), JSON.stringify(config, null, 2));
  await serve('ws', ['workspace', 'start', '--config', join(home, 'ws', 'config.json')]);
  baseUrl = `http://${address('ws')}:7400`;
  client = new WorkspaceClient({ apiKey: apiKey, baseUrl, adminPublicKey: admin.publicKey, maxRetries: 0 });
});

after(async () => {
  await stopServers();
  lab?.remove();
  if (home && !process.env['WR_KEEP_TEST_FILES']) rmSync(home, { recursive: true, force: true });
});

test('a node refuses to listen beyond loopback without TLS', { skip: unavailable }, () => {
  const r = onHost('n1', [
    'node',
    'start',
    '--data-dir',
    join(home, 'plain'),
    '--node-id',
    'plain',
    '--token-file',
    join(home, 'n1', 'data', 'workspace.token'),
    '--host',
    '10.77.0.11',
    '--port',
    '7499',
    '--admin-public-key',
    'aa'.repeat(32),
  ]);
  assert.equal(r.status, 20, r.stderr); // CONFIG_INVALID
  assert.match(r.stderr, /only over mutual TLS: run wr node init/);
});

test('over mutual TLS: CREATE_KEY and SIGN across four hosts, the seed example, and wr migrate', { skip: unavailable }, async () => {
  const key = await client
    .call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 3, nodeIds: ['node-1', 'node-2', 'node-3', 'node-4'] })
    .promise();
  await signs([key.shares[0]!.keyId, key.shares[2]!.keyId, key.shares[3]!.keyId], key.publicKey);

  // The seed example (examples/export-import-key-share.ts) as a user runs it, from the operator's machine.
  const example = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'examples', 'export-import-key-share.ts')], {
    cwd: home,
    encoding: 'utf8',
    env: { ...process.env, ...envFor() },
    timeout: 180_000,
  });
  assert.equal(example.status, 0, example.stderr);
  const newKeyId = /New keyId on target node: (key_\w+)/.exec(example.stdout)?.[1];
  assert.ok(newKeyId, example.stdout);
  assert.equal((await client.call(ComponentModule.GET_KEY, { keyId: newKeyId }).promise()).nodeId, 'node-4');

  // wr migrate moves a share of a key node-4 holds no share of (a node never holds two identifiers of one key).
  const other = await client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-2', 'node-3'] }).promise();
  const migrate = spawnSync(
    process.execPath,
    [WR_BIN, 'migrate', '--from', 'node-2', '--to', 'node-4', '--key', other.shares[0]!.keyId, '--state', join(home, 'migrate-1.json'), '--json'],
    { cwd: home, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', ...envFor() }, timeout: 180_000 },
  );
  assert.equal(migrate.status, 0, migrate.stderr + migrate.stdout);
  const summary = JSON.parse(migrate.stdout) as { moved: number; verified: number };
  assert.equal(summary.moved, 1);
  assert.equal(summary.verified, 1);
});

test('a node cut off mid-DKG fails the call with NODE_UNAVAILABLE in bounded time; back, every share is whole and signs', { skip: unavailable }, async (t) => {
  const reached = whenNodeServes('n3', /\/v1\/dkg\/round1/);
  const started = Date.now();
  const call = client
    .call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] })
    .promise()
    .then(
      (key) => ({ key }),
      (err: unknown) => ({ err }),
    );
  // Cut once node-3 has answered round 1 (unless the call ended first).
  await Promise.race([reached, call]);
  lab!.setLink('n3', false);
  const outcome = await call;
  const ms = Date.now() - started;
  t.diagnostic(`CREATE_KEY with node-3 cut off after round 1: ${'err' in outcome ? failureCode(outcome.err) : 'finished'} in ${ms} ms`);
  try {
    if ('err' in outcome) assert.equal(failureCode(outcome.err), 'NODE_UNAVAILABLE', String(outcome.err));
    // Round 2, its abort, and the workspace's retries each wait at most NODE_TIMEOUT_MS.
    assert.ok(ms < 8 * NODE_TIMEOUT_MS, `the call took ${ms} ms with a node cut off`);
  } finally {
    lab!.setLink('n3', true);
  }
  // Back on the network: a key on the three nodes is whole (a share on each) and signs with node-3's share.
  let key = 'key' in outcome ? outcome.key : undefined;
  if (!key) key = await client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
  assert.deepEqual(key.shares.map((s) => s.nodeId).sort(), ['node-1', 'node-2', 'node-3']);
  await signs([key.shares.find((s) => s.nodeId === 'node-3')!.keyId, key.shares.find((s) => s.nodeId === 'node-1')!.keyId], key.publicKey);
  // No half-made share is left on node-3: every share it lists is of a key whole on all of its nodes.
  const all = (await client.call(ComponentModule.LIST_KEYS, { limit: 500 }).promise()).keys;
  for (const s of all.filter((k) => k.nodeId === 'node-3')) {
    const siblings = all.filter((k) => k.publicKey === s.publicKey);
    assert.ok(siblings.length >= s.threshold, `node-3's share ${s.keyId} has ${siblings.length} shares in all, fewer than its threshold`);
  }
});

test('a node cut off mid-migration fails its moves cleanly; run again after it returns, every share moves and signs', { skip: unavailable }, async (t) => {
  const keys = [];
  for (let i = 0; i < 3; i++)
    keys.push(await client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise());
  const state = join(home, 'migrate-2.json');
  const args = [WR_BIN, 'migrate', '--from', 'node-1', '--to', 'node-3', '--state', state, '--json', ...keys.flatMap((k) => ['--key', k.shares[0]!.keyId])];
  const reached = whenNodeServes('n3', /\/import/);
  const started = Date.now();
  const first = spawn(process.execPath, args, { cwd: home, env: { PATH: process.env['PATH'] ?? '', ...envFor() }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  first.stdout.on('data', (d: Buffer) => (out += d.toString()));
  first.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => first.once('exit', (code) => r(code)));
  await Promise.race([reached, exited]);
  lab!.setLink('n3', false);
  let code: number | null;
  try {
    code = await exited;
  } finally {
    lab!.setLink('n3', true);
  }
  const ms = Date.now() - started;
  t.diagnostic(`wr migrate with node-3 cut off at its first import: exit ${code} in ${ms} ms`);
  assert.ok(ms < 120_000, `wr migrate took ${ms} ms with its target cut off`);
  // Either it finished before the cut, or the moves that needed node-3 failed with NODE_UNAVAILABLE.
  if (code !== 0) assert.match(out, /NODE_UNAVAILABLE/, out);

  // Run again (it resumes from its state file): every share is moved exactly once, and signs.
  const again = spawnSync(process.execPath, args, { cwd: home, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', ...envFor() }, timeout: 180_000 });
  assert.equal(again.status, 0, again.stderr + again.stdout);
  for (const k of keys) {
    const onTarget = (await client.call(ComponentModule.LIST_KEYS, { nodeId: 'node-3', limit: 500 }).promise()).keys.filter((s) => s.publicKey === k.publicKey);
    assert.equal(onTarget.length, 1, `key ${k.publicKey}: one share on node-3`);
    await signs([onTarget[0]!.keyId, k.shares[1]!.keyId], k.publicKey);
  }
});

test('a capture of a node link holds TLS records and no credential, API key or share in the clear', { skip: unavailable }, async (t) => {
  if (spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status !== 0) return t.skip('tcpdump is not installed (.ci/run installs it)');
  const pcap = join(home, 'n2.pcap');
  const dump = spawn('ip', ['netns', 'exec', lab!.hub, 'tcpdump', '-i', lab!.hosts.get('n2')!.hubLink, '-U', '-Z', 'root', '-w', pcap, 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let dumpErr = '';
  dump.stderr.on('data', (d: Buffer) => (dumpErr += d.toString()));
  await new Promise<void>((resolve) => {
    const ready = () => /listening on/.test(dumpErr) && resolve();
    dump.stderr.on('data', ready);
  });

  // A key with a share on node-2, signed with and exported to our own identity: its plaintext share is then known.
  const key = await client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise();
  const share = key.shares.find((s) => s.nodeId === 'node-2')!;
  await signs([share.keyId, key.shares.find((s) => s.nodeId === 'node-1')!.keyId], key.publicKey);
  const mine = await generateIdentity('x25519');
  const { wrappedKeyShare } = await client.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: share.keyId, ageRecipient: mine.recipient }).promise();
  const opened = openEnvelope(await unwrap(wrappedKeyShare, { identities: [mine.identity.expose()] }));
  const signingShare = Buffer.from(opened.secret.signingShare.expose());
  opened.secret.signingShare.destroy();

  // tcpdump writes each packet as it comes (-U), but on a loaded machine it may lag behind: wait for the file to grow.
  for (let waited = 0; waited < 15_000 && (!existsSync(pcap) || statSync(pcap).size <= 2_000); waited += 250) await new Promise((r) => setTimeout(r, 250));
  await new Promise<void>((resolve) => {
    dump.once('exit', () => resolve());
    dump.kill('SIGINT');
  });
  const captured = readFileSync(pcap);
  assert.ok(captured.length > 2_000, `the capture holds ${captured.length} bytes (tcpdump said: ${dumpErr.trim()})`);
  // TLS application-data records (content type 23, version 3.3) carry the traffic.
  assert.ok(captured.includes(Buffer.from([0x17, 0x03, 0x03])), 'no TLS application data records in the capture');
  const secrets: [string, Buffer][] = [
    ["node-2's workspace credential", Buffer.from(nodeTokens[1]!)],
    ['the API key', Buffer.from(apiKey)],
    ['the signing share (bytes)', signingShare],
    ['the signing share (hex)', Buffer.from(signingShare.toString('hex'))],
    ['the signing share (base64)', Buffer.from(signingShare.toString('base64'))],
    ['HTTP in the clear', Buffer.from('/v1/')],
    ['JSON in the clear', Buffer.from('"keyId"')],
  ];
  for (const [what, bytes] of secrets) assert.ok(!captured.includes(bytes), `${what} is in the capture`);
});

test('multi-host: network namespaces are available', (t) => {
  if (unavailable) t.skip(`skipped, not passed: ${unavailable}`);
});
