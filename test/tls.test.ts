/**
 * Provisioning and mutual TLS on one machine: `wr node init` (idempotent, master key outside the data directory), a
 * node that takes only the pinned workspace certificate, and a workspace that refuses a node whose certificate is not
 * the one the roster pins.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ComponentModule, WorkspaceClient } from 'caller-sdk';
import { Secret } from '@wr/common';
import { ensureTlsIdentity, loadTlsIdentity } from '@wr/server';
import { startWorkspace } from '@wr/workspace';
import { Agent, fetch as undiciFetch } from 'undici';
import { relayFetch, scratchDir, startTestNetwork, type TestNetwork } from '@wr/cli/test-network';
import { wr } from '@wr/cli/test-wr';

let net: TestNetwork;
const scratch: string[] = [];
before(async () => {
  net = await startTestNetwork('tls', { nodeCount: 2 });
});
after(async () => {
  await net?.cleanup();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});
const dir = (name: string) => (scratch.push(scratchDir(name)), scratch.at(-1)!);

test('wr node init provisions once: the same entry again, files unchanged, the master key outside the data directory', async () => {
  const home = dir('node-init');
  const data = join(home, 'node-7');
  const first = await wr(['node', 'init', '--data-dir', data, '--url', 'https://10.1.2.3:7401']);
  assert.equal(first.code, 0, first.stderr);
  const entry = JSON.parse(first.stdout) as Record<string, string>;
  assert.equal(entry['nodeId'], 'node-7');
  assert.equal(entry['url'], 'https://10.1.2.3:7401');
  assert.match(entry['tlsCertFingerprint']!, /^[0-9a-f]{64}$/);
  assert.match(entry['recipientKey']!, /^age1/);
  assert.equal(loadTlsIdentity(join(data, 'tls.key'), join(data, 'tls.crt')).fingerprint, entry['tlsCertFingerprint']);
  // The certificate names the URL's address.
  assert.match(new (await import('node:crypto')).X509Certificate(readFileSync(join(data, 'tls.crt'))).subjectAltName ?? '', /IP Address:10\.1\.2\.3/);
  // The master key is beside the directory, not in it, and only its owner reads it; so is the TLS key.
  assert.ok(!readdirSync(data).some((f) => /master/.test(f)));
  assert.equal(statSync(`${data}.master-key`).mode & 0o777, 0o600);
  assert.equal(statSync(join(data, 'tls.key')).mode & 0o777, 0o600);

  const files = () => readdirSync(data).map((f) => [f, statSync(join(data, f)).mtimeMs]);
  const before = files().filter(([f]) => !String(f).startsWith('node.db'));
  const second = await wr(['node', 'init', '--data-dir', data]);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(JSON.parse(second.stdout), entry);
  assert.deepEqual(
    files().filter(([f]) => !String(f).startsWith('node.db')),
    before,
  );

  const inside = await wr(['node', 'init', '--data-dir', join(home, 'node-8'), '--master-key-file', join(home, 'node-8', 'mk')]);
  assert.equal(inside.code, 20, inside.stderr); // CONFIG_INVALID
  assert.match(inside.stderr, /inside the data directory/);
  const otherId = await wr(['node', 'init', '--data-dir', data, '--id', 'node-9']);
  assert.equal(otherId.code, 20, otherId.stderr);
});

test('a node takes a connection only from the pinned workspace certificate, and the credential on top', async () => {
  const url = net.nodes.get('node-1')!.url;
  assert.match(url, /^https:/);
  // The workspace's certificate and credential: answered.
  const token = readFileSync(join(net.dir, 'node-1', 'workspace.token'), 'utf8').trim();
  const ok = await relayFetch(net.dir)(`${url}/v1/info`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(ok.status, 200);
  // No client certificate, or another one with the right credential: the connection is closed before any answer.
  const home = dir('stranger');
  const stranger = await ensureTlsIdentity(join(home, 'k'), join(home, 'c'), 'stranger', ['127.0.0.1']);
  for (const connect of [{ rejectUnauthorized: false }, { rejectUnauthorized: false, key: stranger.key.expose(), cert: stranger.cert }]) {
    const dispatcher = new Agent({ connect: { ...connect, maxCachedSessions: 0 } });
    await assert.rejects(undiciFetch(`${url}/v1/info`, { dispatcher, headers: { authorization: `Bearer ${token}` } }), TypeError);
    await dispatcher.close();
  }
  // Plain HTTP to the TLS port: no answer either.
  await assert.rejects(fetch(url.replace('https:', 'http:') + '/healthz'));
});

test("a workspace refuses a node whose certificate is not the roster's pin, saying which it got", async () => {
  const config = JSON.parse(readFileSync(join(net.dir, 'workspace', 'config.json'), 'utf8')) as {
    nodes: { nodeId: string; url: string; tokenFile: string }[];
    rosterFile: string;
    adminPublicKey: string;
  };
  const home = dir('pin');
  // node-1's address now answers with node-2's certificate (as a host taken over would).
  const wsTls = loadTlsIdentity(join(net.dir, 'workspace', 'tls.key'), join(net.dir, 'workspace', 'tls.crt'));
  const running = await startWorkspace({
    host: '127.0.0.1',
    port: 0,
    databaseFile: join(home, 'ws.db'),
    masterKey: new Secret(new Uint8Array(32).fill(7)),
    nodes: config.nodes.map((n) => ({
      nodeId: n.nodeId,
      url: n.nodeId === 'node-1' ? net.nodes.get('node-2')!.url : n.url,
      token: new Secret(readFileSync(n.tokenFile, 'utf8').trim()),
    })),
    defaultTargetNode: 'node-2',
    adminPublicKey: config.adminPublicKey,
    roster: JSON.parse(readFileSync(config.rosterFile, 'utf8')),
    tls: wsTls,
    nodeTimeoutMs: 10_000,
    log: false,
  });
  try {
    const client = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: running.url, maxRetries: 0 });
    const started = Date.now();
    await assert.rejects(
      client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise(),
      (err: { code?: string; message?: string }) => {
        assert.equal(err.code, 'NODE_UNAVAILABLE');
        assert.match(err.message ?? '', /node-1 .* presented TLS certificate [0-9a-f]{64}, not the one the roster pins/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 20_000);
  } finally {
    await running.close();
  }
});
