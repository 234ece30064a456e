/**
 * Lists on the real network: LIST_KEYS pages through 1,000 shares by cursor,
 * with no gap and no duplicate while keys are being made, and a list gathered
 * from every node names a node that did not answer instead of leaving its
 * shares out in silence (the SDK's pages() and `wr keys list` both show it).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ComponentModule } from 'caller-sdk';
import { ROOT, startTestNetwork, type TestNetwork } from '@wr/cli/test-network';

let net: TestNetwork;

before(async () => {
  net = await startTestNetwork('lists');
});
after(() => net?.cleanup());

/** A 2-of-2 key (the cheapest DKG: two shares), on node-1 and node-2 or on node-3 and node-4 by turns. */
const createKey = (i: number) =>
  net.client
    .call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: i % 2 ? ['node-1', 'node-2'] : ['node-3', 'node-4'] })
    .promise();

async function inBatches(count: number, width: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  for (let done = 0; done < count; done += width) await Promise.all(Array.from({ length: Math.min(width, count - done) }, (_, i) => fn(done + i)));
}

test('limit and cursor walk 1,000 shares with no gap and no duplicate while keys are being made', async () => {
  await inBatches(500, 16, createKey);
  const all = await net.client.call(ComponentModule.LIST_KEYS, { limit: 1000 }).promise();
  assert.equal(all.keys.length, 1000);
  assert.equal(all.nextCursor, undefined, 'one page of 1000 holds them all');
  const before = new Set(all.keys.map((k) => k.keyId));

  let creating = true;
  const writer = (async () => {
    let made = 0;
    while (creating) made += (await createKey(made)) ? 1 : 0;
    return made;
  })();
  const seen: string[] = [];
  let pages = 0;
  for await (const page of net.client.pages(ComponentModule.LIST_KEYS, { limit: 37 })) {
    assert.deepEqual(page.unavailableNodes, []);
    assert.ok(page.keys.length <= 37);
    seen.push(...page.keys.map((k) => k.keyId));
    pages++;
  }
  creating = false;
  const made = await writer;
  assert.ok(made > 0, 'keys were made during the walk');
  assert.equal(new Set(seen).size, seen.length, 'no share twice');
  assert.deepEqual([...seen].sort(), seen, 'in key id order');
  for (const keyId of before) assert.ok(seen.includes(keyId), `${keyId} was skipped`);
  assert.ok(pages >= 1000 / 37, `${pages} pages`);

  const one = await net.client.call(ComponentModule.LIST_KEYS, { nodeId: 'node-2', limit: 1000 }).promise();
  assert.ok(one.keys.every((k) => k.nodeId === 'node-2'));
  assert.ok(one.keys.length >= 250);
  await assert.rejects(net.client.call(ComponentModule.LIST_KEYS, { limit: 1001 }).promise(), { code: 'INVALID_ARGUMENT' });
});

test('with one node SIGKILLed, LIST_KEYS names it beside the shares of the others; asked of it alone, it fails', async () => {
  const total = (await net.client.call(ComponentModule.LIST_KEYS, { nodeId: 'node-3', limit: 1000 }).promise()).keys.length;
  await net.killNode('node-3', 'SIGKILL');
  try {
    const page = await net.client.call(ComponentModule.LIST_KEYS, { limit: 50 }).promise();
    assert.deepEqual(page.unavailableNodes, ['node-3']);
    assert.ok(page.keys.length === 50 && page.keys.every((k) => k.nodeId !== 'node-3'));
    await assert.rejects(net.client.call(ComponentModule.LIST_KEYS, { nodeId: 'node-3' }).promise(), { code: 'NODE_UNAVAILABLE' });

    const env = { ...process.env, WR_BASE_URL: net.baseUrl, WR_API_KEY: net.apiKey, WR_ADMIN_PUBLIC_KEY: net.adminPublicKey };
    const wr = spawnSync(process.execPath, [join(ROOT, 'packages', 'cli', 'bin', 'wr.js'), 'keys', 'list', '--limit', '5'], { env, encoding: 'utf8' });
    assert.equal(wr.status, 13, 'a partial list does not exit 0');
    assert.match(wr.stderr, /warning: node-3 did not answer: its shares are missing from this list/);
    assert.match(wr.stdout, /more: wr keys list --cursor key_[0-9a-z]{26}/);
  } finally {
    await net.startNode('node-3');
  }
  assert.equal((await net.client.call(ComponentModule.LIST_KEYS, { nodeId: 'node-3', limit: 1000 }).promise()).keys.length, total, 'nothing was lost');
});

test('wr keys list --all --json streams every share, one JSON line each', () => {
  const env = { ...process.env, WR_BASE_URL: net.baseUrl, WR_API_KEY: net.apiKey, WR_ADMIN_PUBLIC_KEY: net.adminPublicKey };
  const wr = spawnSync(process.execPath, [join(ROOT, 'packages', 'cli', 'bin', 'wr.js'), 'keys', 'list', '--all', '--json', '--limit', '200'], {
    env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  assert.equal(wr.status, 0, wr.stderr);
  const lines = wr.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { keyId: string });
  assert.ok(lines.length >= 1000);
  assert.equal(new Set(lines.map((k) => k.keyId)).size, lines.length);
});

test('wr audit show pages the audit log, and --all --json streams every event once, in order', () => {
  const env = { ...process.env, WR_BASE_URL: net.baseUrl, WR_API_KEY: net.apiKey, WR_ADMIN_PUBLIC_KEY: net.adminPublicKey };
  const wr = (...args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, 'packages', 'cli', 'bin', 'wr.js'), 'audit', 'show', ...args], { env, encoding: 'utf8' });
  const first = wr('--limit', '3');
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /more: wr audit show --after 3 \(or --all\)/);
  const all = wr('--all', '--json', '--limit', '50');
  assert.equal(all.status, 0, all.stderr);
  const seqs = all.stdout
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { seq: number }).seq);
  assert.ok(seqs.length > 500, `${seqs.length} events`);
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => i + 1),
  );
});
