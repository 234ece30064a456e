/**
 * Issue 11, "graceful drains": a server told to stop (SIGTERM) stops taking
 * connections, answers what it has already received, and exits within its
 * bound; the SDK's retry window carries the calls that arrive meanwhile over
 * to the server supervision starts again, with the same idempotency keys, so
 * every call completes exactly once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ComponentModule, WorkspaceClient, WorkspaceError } from 'caller-sdk';
import { startTestNetwork, type TestNetwork } from '@wr/cli/test-network';

let net: TestNetwork;
const events: string[] = [];
before(async () => {
  net = await startTestNetwork('drain', { supervise: true, onEvent: (line) => events.push(line) });
});
after(async () => {
  await net?.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every share a node holds, page by page. */
async function sharesOn(client: WorkspaceClient, nodeId: string): Promise<{ keyId: string; publicKey: string }[]> {
  const all: { keyId: string; publicKey: string }[] = [];
  for await (const page of client.pages(ComponentModule.LIST_KEYS, { nodeId, limit: 200 })) all.push(...page.keys);
  return all;
}

/** The JSON lines of a server's log that carry `msg` matching `re`. */
function logLines(name: string, re: RegExp): Record<string, unknown>[] {
  return readFileSync(join(net.dir, 'logs', `${name}.log`), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => re.test(String(l['msg'])));
}

test('50 calls in flight through a workspace SIGTERM and a supervised restart all complete exactly once', async () => {
  const client = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, retryWindowMs: 30_000 });
  const nodeIds = ['node-1', 'node-2'];
  const before = new Set((await sharesOn(client, 'node-1')).map((k) => k.publicKey));
  const old = net.workspace.process;

  // 50 CREATE_KEYs, one every 8 ms: the first ones are running when the signal comes at 150 ms, the last
  // ones are sent while the workspace drains, is down, and comes back.
  const calls: Promise<{ publicKey: string; shares: { nodeId: string; keyId: string }[] }>[] = [];
  const finishedAt: number[] = [];
  let signalledAt = 0;
  const sending = (async () => {
    for (let i = 0; i < 50; i++) {
      if (i > 0) await sleep(8);
      calls.push(
        client
          .call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds })
          .promise()
          .then((r) => {
            finishedAt.push(Date.now());
            return r;
          }),
      );
    }
  })();
  await sleep(150);
  const exited = new Promise<number | null>((resolve) => old.once('exit', (code) => resolve(code)));
  signalledAt = Date.now();
  old.kill('SIGTERM'); // as systemd or an operator would: supervision sees it stop and starts it again
  const code = await exited;
  const drainMs = Date.now() - signalledAt;
  await sending;

  const outcomes = await Promise.allSettled(calls);
  const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [`${(o.reason as WorkspaceError).code}: ${(o.reason as Error).message}`] : []));
  assert.deepEqual(failures, [], 'every call completes');
  assert.equal(code, 0, 'the workspace exits cleanly');
  assert.ok(drainMs < 10_000, `the drain kept to its bound (${drainMs} ms)`);
  assert.notEqual(net.workspace.process.pid, old.pid, 'supervision started a new workspace');
  assert.ok(
    events.some((e) => /workspace is back/.test(e)),
    `supervision says so: ${events.join(' | ')}`,
  );

  // Exactly once: 50 keys, none twice, each on the two nodes asked for, and nothing else was made.
  const results = outcomes.map((o) => (o as PromiseFulfilledResult<{ publicKey: string; shares: { nodeId: string; keyId: string }[] }>).value);
  const made = new Set(results.map((r) => r.publicKey));
  assert.equal(made.size, 50, 'fifty distinct keys');
  for (const nodeId of nodeIds) {
    const fresh = (await sharesOn(client, nodeId)).filter((k) => !before.has(k.publicKey));
    assert.equal(fresh.length, 50, `${nodeId} holds exactly one share of each new key`);
    assert.deepEqual(new Set(fresh.map((k) => k.publicKey)), made, `${nodeId} holds the shares of the keys answered, and no others`);
  }

  // The old workspace answered what it had received; some calls were answered by the new one.
  const drained = logLines('workspace', /^drained in/);
  assert.equal(drained.length, 1, 'the old workspace logged its drain');
  assert.equal(drained[0]!['cutOff'], 0, 'no call was cut off');
  assert.ok(Number(drained[0]!['answered']) > 0, 'calls in flight at the signal were answered');
  const afterRestart = finishedAt.filter((t) => t > signalledAt + drainMs).length;
  assert.ok(afterRestart > 0, 'some calls were carried over the restart by the retry window');
  console.log(`drain: ${drainMs} ms, ${drained[0]!['answered']} answered while draining, ${afterRestart} completed after the restart`);
});

test('a node told to stop mid-flight answers the requests it has, fails the rounds after cleanly (NODE_UNAVAILABLE), and exits in its bound', async () => {
  const client = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl });
  const key = await client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise();
  const keyIds = key.shares.map((s) => s.keyId);
  const sign = (i: number) => client.call(ComponentModule.SIGN, { keyIds, message: i.toString(16).padStart(64, '0') }).promise();

  const calls = Promise.allSettled(Array.from({ length: 30 }, (_, i) => sign(i)));
  await sleep(60);
  const signalled = Date.now();
  await net.killNode('node-1', 'SIGTERM');
  const drainMs = Date.now() - signalled;
  const outcomes = await calls;
  assert.equal(net.nodes.get('node-1')!.process.exitCode, 0, 'the node exits cleanly');
  assert.ok(drainMs < 10_000, `the drain kept to its bound (${drainMs} ms)`);

  // What the node had received it answered; what came after it stopped listening is a clean NODE_UNAVAILABLE, never a reset.
  const codes = outcomes.map((o) => (o.status === 'fulfilled' ? 'OK' : (o.reason as WorkspaceError).code));
  assert.ok(
    codes.every((c) => c === 'OK' || c === 'NODE_UNAVAILABLE'),
    `every sign succeeded or failed as NODE_UNAVAILABLE: ${codes.join(' ')}`,
  );
  const drained = logLines('node-1', /^drained in/).at(-1);
  assert.ok(drained, 'node-1 logged its drain');
  assert.equal(drained['cutOff'], 0, 'no request was cut off');

  await net.startNode('node-1');
  await sign(1000);
  console.log(`node drain: ${drainMs} ms, ${drained['answered']} answered while draining; signs: ${codes.filter((c) => c === 'OK').length} ok of 30`);
});

test('a drain that outlasts its bound answers what is left with a retryable WORKSPACE_UNAVAILABLE, then exits', async () => {
  // WR_DRAIN_TIMEOUT_MS=0: nothing in flight gets to finish, yet nothing is reset either.
  const bounded = await startTestNetwork('drain-bound', { nodeCount: 2, env: { WR_DRAIN_TIMEOUT_MS: '0' } });
  try {
    const once = new WorkspaceClient({ apiKey: bounded.apiKey, baseUrl: bounded.baseUrl, retryWindowMs: 0 });
    const calls = Promise.allSettled(
      Array.from({ length: 10 }, () => once.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2 }).promise()),
    );
    await sleep(60);
    await bounded.killWorkspace('SIGTERM');
    const outcomes = await calls;
    assert.equal(bounded.workspace.process.exitCode, 0);
    const codes = outcomes.map((o) => (o.status === 'fulfilled' ? 'OK' : (o.reason as WorkspaceError).code));
    assert.ok(
      codes.every((c) => c === 'OK' || c === 'WORKSPACE_UNAVAILABLE'),
      `a call cut off is WORKSPACE_UNAVAILABLE: ${codes.join(' ')}`,
    );
    // Those the workspace had received got an answer, a 503 marked retryable, not a reset.
    const drained = readFileSync(join(bounded.dir, 'logs', 'workspace.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"drained in'))
      .map((l) => JSON.parse(l) as { cutOff: number })[0];
    const answered503 = outcomes.filter((o) => o.status === 'rejected' && (o.reason as WorkspaceError).httpStatus === 503);
    assert.ok(drained && drained.cutOff > 0, 'calls were running at the bound');
    assert.equal(answered503.length, drained.cutOff, 'each call cut off was answered 503');
    for (const o of answered503) assert.equal((o as PromiseRejectedResult).reason.retryable, true, 'and retryable');
  } finally {
    await bounded.cleanup();
  }
});
