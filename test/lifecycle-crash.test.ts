/**
 * Crashes of REFRESH_KEY and RESHARE_KEY on the real network (issue 12): a
 * node is killed with SIGKILL at each exact step of each protocol (a pausing
 * proxy between the workspace and the node holds the step, see
 * support/crash-proxy.ts), in each role it can have (refresh: a holder;
 * reshare: a holder that stays, a new holder, a holder that leaves), then
 * restarted.
 *
 * After each crash: a first call that failed left the old shares signing; the
 * retry with the same idempotency key finishes the change exactly once (epoch
 * 1, never 2) and a second retry replays it; every holder is at that one epoch
 * and the current shares sign in every quorum with the victim; a share that
 * left is gone; every wrapped copy of the old epoch is refused (SHARE_STALE).
 * So exactly one epoch works, and nothing is lost. A node holding a copy left
 * behind by a migration, killed before it retires it, retires it on the retry.
 *
 * Violations are collected per scenario and asserted at the end, so one run
 * reports every scenario that fails.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ComponentModule, WorkspaceClient, type ComponentResult } from 'caller-sdk';
import { getScheme } from '@wr/crypto';
import { fromHex } from '@wr/common';
import { startTestNetwork, type TestNetwork, workspaceTls } from '@wr/cli/test-network';
import { PausingProxy, type HoldPoint } from './support/crash-proxy.js';
import { asRelay as relay } from './support/raw.js';
import { failureCode } from './support/crash-inventory.js';

const VICTIM = 'node-3';
const SCHEME = 'frost-ed25519' as const;

let net: TestNetwork;
let proxy: PausingProxy;
/** Reports the interrupted call as it is: no retry. */
let once: WorkspaceClient;
/** Retries as a caller would, with the same idempotency key. */
let patient: WorkspaceClient;
/** How the interrupted first calls ended, by code: reported, so a run shows the crashes hit both sides of the commit point. */
let outcomes: Record<string, number> = {};

before(async () => {
  net = await startTestNetwork('lifecycle-crash', { nodeCount: 5 });
  // The workspace reaches the victim through a pausing proxy; tests reach every node directly.
  proxy = await PausingProxy.start(net.nodes.get(VICTIM)!.url, workspaceTls(net.dir));
  await net.killWorkspace();
  const configFile = join(net.dir, 'workspace', 'config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as { nodes: { nodeId: string; url: string }[] };
  config.nodes.find((n) => n.nodeId === VICTIM)!.url = proxy.url;
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  await net.startWorkspace();
  once = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, maxRetries: 0, timeoutMs: 30_000, adminPublicKey: net.adminPublicKey });
  patient = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, maxRetries: 6, timeoutMs: 30_000, adminPublicKey: net.adminPublicKey });
});

after(async () => {
  await net?.cleanup();
  await proxy?.close();
});

type Key = ComponentResult<'CREATE_KEY'>;
type Crash = (h: { release(): void; drop(): void }) => Promise<void>;

/** The node dies while the step is held; its request (or its answer) is lost. */
const killAndDrop: Crash = async (h) => {
  await net.killNode(VICTIM);
  h.drop();
};
/** The node restarts while the step is held (its memory is gone), then the step reaches it. */
const restartBetween: Crash = async (h) => {
  await net.killNode(VICTIM);
  await net.startNode(VICTIM);
  h.release();
};

const isDown = () => {
  const p = net.nodes.get(VICTIM)!.process;
  return p.exitCode !== null || p.signalCode !== null;
};

const createKey = (nodeIds: string[]) => patient.call(ComponentModule.CREATE_KEY, { scheme: SCHEME, threshold: 2, nodeIds }).promise();
const recipientOf = async (nodeId: string) => (await patient.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId }).promise()).recipientKey;

/** The share a node holds of the key, straight from the node: its epoch, or undefined when it holds none. */
async function heldBy(nodeId: string, publicKey: string): Promise<{ keyId: string; epoch: number } | undefined> {
  const r = await relay(net, nodeId, `/v1/keys/${publicKey}/share`);
  if (r.status === 404) return undefined;
  assert.equal(r.status, 200, `findShare on ${nodeId}: ${JSON.stringify(r.json.error)}`);
  return { keyId: r.json['keyId'] as string, epoch: r.json['epoch'] as number };
}

async function signs(publicKey: string, keyIds: string[]): Promise<void> {
  const message = Buffer.from(`lifecycle crash ${Math.random()}`).toString('hex');
  const r = await patient.call(ComponentModule.SIGN, { keyIds, message }).promise();
  assert.equal(r.publicKey, publicKey);
  assert.ok(getScheme(SCHEME).verify(fromHex(r.signature, 'signature'), fromHex(message, 'message'), fromHex(publicKey, 'publicKey')), 'bad signature');
}

/** Every pair of the shares signs (the keys here are 2-of-n). */
async function everyPairSigns(publicKey: string, keyIds: string[]): Promise<void> {
  for (let i = 0; i < keyIds.length; i++) for (let j = i + 1; j < keyIds.length; j++) await signs(publicKey, [keyIds[i]!, keyIds[j]!]);
}

/** Starts a call, holds the victim's request at `path`/`when`, then runs `crash` on the held request; restarts the victim if it is down. */
async function interrupt<T>(path: RegExp, when: HoldPoint, start: () => Promise<T>, crash: Crash): Promise<PromiseSettledResult<T> | 'not reached'> {
  const held = proxy.hold(path, when);
  const settled = Promise.allSettled([start()]);
  const h = await Promise.race([held, settled.then(() => null)]);
  if (!h) {
    proxy.clearHolds();
    return 'not reached';
  }
  await crash(h);
  const [o] = await settled;
  if (isDown()) await net.startNode(VICTIM);
  return o!;
}

/** What the first, interrupted call did: a success, or a failure with a code a caller retries on. */
function checkFirst(label: string, o: PromiseSettledResult<unknown> | 'not reached', violations: string[]): boolean {
  const outcome = o === 'not reached' ? o : o.status === 'fulfilled' ? 'completed' : failureCode(o.reason);
  outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  if (o === 'not reached') {
    violations.push(`${label}: the call ended before it reached the step`);
    return false;
  }
  if (o.status === 'rejected') {
    const code = failureCode(o.reason);
    if (code !== 'NODE_UNAVAILABLE') violations.push(`${label}: the interrupted call failed with ${code}: ${(o.reason as Error).message}`);
  }
  return o.status === 'fulfilled';
}

/** Wrapped copies of each share, made before the change, to a node that holds none (node-5): each is refused after it. */
async function oldCopies(key: Key): Promise<{ keyId: string; wrapped: string }[]> {
  const to = await recipientOf('node-5');
  return Promise.all(
    key.shares.map(async (s) => ({
      keyId: s.keyId,
      wrapped: (await patient.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: s.keyId, ageRecipient: to }).promise()).wrappedKeyShare,
    })),
  );
}

async function oldCopiesRefused(label: string, copies: { keyId: string; wrapped: string }[], violations: string[]): Promise<void> {
  for (const c of copies) {
    try {
      const r = await patient.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: c.wrapped, nodeId: 'node-5' }).promise();
      violations.push(`${label}: node-5 imported the old copy of ${c.keyId} (as ${r.keyId})`);
      await patient.call(ComponentModule.DELETE_KEY_SHARE, { keyId: r.keyId }).promise();
    } catch (err) {
      if (failureCode(err) !== 'SHARE_STALE') violations.push(`${label}: the old copy of ${c.keyId} was refused with ${failureCode(err)}, not SHARE_STALE`);
    }
  }
}

const cases: [string, RegExp, HoldPoint, Crash][] = [
  ['round 1: the node dies before it gets the request', /round1$/, 'before', killAndDrop],
  ['round 1: the node dies after it answered, before the answer arrives', /round1$/, 'after', killAndDrop],
  ['round 2: the node restarts between round 1 and round 2', /round2$/, 'before', restartBetween],
  ['round 2: the node dies after it staged its new share, before the answer arrives', /round2$/, 'after', killAndDrop],
  ['commit: the node dies before it gets the commit', /commit$/, 'before', killAndDrop],
  ['commit: the node dies after it committed, before the answer arrives', /commit$/, 'after', killAndDrop],
];

test('REFRESH_KEY with a holder killed at each step: the retry finishes it once, exactly one epoch signs, old copies are refused', async (t) => {
  const violations: string[] = [];
  outcomes = {};
  for (const [i, [step, path, when, crash]] of cases.entries()) {
    const label = `refresh, ${step}`;
    const key = await createKey(['node-1', 'node-2', VICTIM]);
    const keyIds = key.shares.map((s) => s.keyId);
    const copies = await oldCopies(key);
    const idempotencyKey = `refresh-crash-${i}`;
    const call = (c: WorkspaceClient) => c.call(ComponentModule.REFRESH_KEY, { publicKey: key.publicKey }, { idempotencyKey }).promise();
    const o = await interrupt(new RegExp(`^/v1/refresh/${path.source}`), when, () => call(once), crash);
    const completed = checkFirst(label, o, violations);
    try {
      if (!completed) {
        // Until the retry, one epoch: the old one everywhere (the change failed cleanly) or the new one (the sweep committed it).
        const epochs = new Set((await Promise.all(key.shares.map((s) => heldBy(s.nodeId, key.publicKey)))).map((h) => h?.epoch));
        if (epochs.size === 1) await everyPairSigns(key.publicKey, keyIds);
      }
      const r = await call(patient);
      const again = await call(patient);
      if (JSON.stringify(again) !== JSON.stringify(r)) violations.push(`${label}: a second retry did not replay the result`);
      if (o !== 'not reached' && o.status === 'fulfilled' && o.value.epoch !== r.epoch) violations.push(`${label}: the retry gave another epoch`);
      if (r.epoch !== 1) violations.push(`${label}: the key is at epoch ${r.epoch} after one refresh (done twice?)`);
      for (const s of key.shares) {
        const h = await heldBy(s.nodeId, key.publicKey);
        if (h?.keyId !== s.keyId || h.epoch !== 1) violations.push(`${label}: ${s.nodeId} holds ${JSON.stringify(h)}, not ${s.keyId} at epoch 1`);
      }
      await everyPairSigns(key.publicKey, keyIds);
      await oldCopiesRefused(label, copies, violations);
    } catch (err) {
      violations.push(`${label}: ${failureCode(err)}: ${(err as Error).message}`);
    }
  }
  t.diagnostic(`interrupted refreshes: ${JSON.stringify(outcomes)}`);
  assert.deepEqual(violations, []);
});

/** The victim's three roles in a reshare of a 2-of-3 key: stays (node-1..3 to node-2..4), joins (1,2,4 to 1..3), leaves (1..3 to 1,2,4). */
const roles: { role: string; from: string[]; to: string[] }[] = [
  { role: 'a holder that stays', from: ['node-1', 'node-2', VICTIM], to: ['node-2', VICTIM, 'node-4'] },
  { role: 'a new holder', from: ['node-1', 'node-2', 'node-4'], to: ['node-1', 'node-2', VICTIM] },
  { role: 'a holder that leaves', from: ['node-1', 'node-2', VICTIM], to: ['node-1', 'node-2', 'node-4'] },
];

test('RESHARE_KEY with a node killed at each step, in each role: the retry finishes it once, the new set signs, the old shares are gone', async (t) => {
  const violations: string[] = [];
  outcomes = {};
  let n = 0;
  for (const { role, from, to } of roles) {
    for (const [step, path, when, crash] of cases) {
      // A holder that leaves takes no part in round 2.
      if (role === 'a holder that leaves' && path.source.startsWith('round2')) continue;
      const label = `reshare, victim ${role}, ${step}`;
      const key = await createKey(from);
      const copies = await oldCopies(key);
      const params = { publicKey: key.publicKey, threshold: 2, nodeIds: to };
      const idempotencyKey = `reshare-crash-${n++}`;
      const call = (c: WorkspaceClient) => c.call(ComponentModule.RESHARE_KEY, params, { idempotencyKey }).promise();
      const o = await interrupt(new RegExp(`^/v1/reshare/${path.source}`), when, () => call(once), crash);
      const completed = checkFirst(label, o, violations);
      try {
        if (!completed && (await Promise.all(from.map((id) => heldBy(id, key.publicKey)))).every((h) => h?.epoch === 0)) {
          // The change failed cleanly: the old shares still sign, and no new holder kept a half-made share.
          await everyPairSigns(
            key.publicKey,
            key.shares.map((s) => s.keyId),
          );
          for (const id of to.filter((x) => !from.includes(x)))
            if (await heldBy(id, key.publicKey)) violations.push(`${label}: ${id} holds a share of a reshare that did not commit`);
        }
        const r = await call(patient);
        const again = await call(patient);
        if (JSON.stringify(again) !== JSON.stringify(r)) violations.push(`${label}: a second retry did not replay the result`);
        if (r.epoch !== 1) violations.push(`${label}: the key is at epoch ${r.epoch} after one reshare (done twice?)`);
        assert.deepEqual(
          r.shares.map((s) => s.nodeId),
          to,
        );
        for (const s of r.shares) {
          const h = await heldBy(s.nodeId, key.publicKey);
          if (h?.keyId !== s.keyId || h.epoch !== 1) violations.push(`${label}: ${s.nodeId} holds ${JSON.stringify(h)}, not ${s.keyId} at epoch 1`);
        }
        for (const id of from.filter((x) => !to.includes(x))) {
          const h = await heldBy(id, key.publicKey);
          if (h) violations.push(`${label}: ${id} left the key but still holds ${JSON.stringify(h)}`);
        }
        await everyPairSigns(
          key.publicKey,
          r.shares.map((s) => s.keyId),
        );
        await oldCopiesRefused(label, copies, violations);
      } catch (err) {
        violations.push(`${label}: ${failureCode(err)}: ${(err as Error).message}`);
      }
    }
  }
  t.diagnostic(`interrupted reshares: ${JSON.stringify(outcomes)}`);
  assert.deepEqual(violations, []);
});

test('REFRESH_KEY with the node holding a copy left behind by a migration killed before it retires it: the retry retires it, once', async () => {
  const key = await createKey([VICTIM, 'node-1', 'node-2']);
  const left = key.shares[0]!;
  // The seed's migration: node-5 imports the victim's share, and the victim keeps its copy.
  const wrapped = (await patient.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: left.keyId, ageRecipient: await recipientOf('node-5') }).promise())
    .wrappedKeyShare;
  const copy = await patient.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: wrapped, nodeId: 'node-5' }).promise();
  const idempotencyKey = 'refresh-crash-left-behind';
  const call = (c: WorkspaceClient) => c.call(ComponentModule.REFRESH_KEY, { publicKey: key.publicKey }, { idempotencyKey }).promise();
  const o = await interrupt(/^\/v1\/refresh\/notice$/, 'before', () => call(once), killAndDrop);
  assert.notEqual(o, 'not reached', 'the refresh never sent the victim its notice');
  assert.ok(o !== 'not reached' && o.status === 'rejected' && failureCode(o.reason) === 'NODE_UNAVAILABLE', 'the call did not fail as retryable');
  // Committed everywhere else meanwhile: the copy left behind is at the old epoch and can sign with nothing.
  assert.equal((await heldBy('node-5', key.publicKey))?.epoch, 1);
  const r = await call(patient);
  assert.deepEqual(r.retired, [{ nodeId: VICTIM, keyId: left.keyId }]);
  assert.equal(r.epoch, 1);
  assert.deepEqual(await call(patient), r);
  assert.equal(await heldBy(VICTIM, key.publicKey), undefined, 'the copy left behind is still on the victim');
  await everyPairSigns(key.publicKey, [copy.keyId, key.shares[1]!.keyId, key.shares[2]!.keyId]);
});
