/**
 * Two workspace replicas on one PostgreSQL 15 server (started here, under a
 * temporary directory), serving one network of four nodes. Clients spread over
 * both: duplicate imports give one keyId, an idempotency key replays across
 * replicas, a registry change on one holds on the other, the audit chain stays
 * one chain. Last, one replica is killed with SIGKILL mid-call, and the SDK's
 * retry against the other finishes the call exactly once.
 * Without PostgreSQL installed the tests are skipped, and say so.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ComponentModule, WorkspaceClient, generateApiKey, type ComponentResult } from 'caller-sdk';
import { startTestNetwork, type TestNetwork } from '@wr/cli/test-network';
import { PG_MIGRATIONS } from '@wr/workspace';
import { holdings } from './support/crash-inventory.js';
import { postgresMissing, startPostgres, type TestPostgres } from './support/postgres.js';

const NODES = ['node-1', 'node-2', 'node-3', 'node-4'] as const;
const SCHEME = 'frost-ed25519' as const;
const skip = postgresMissing() ?? false;

let postgres: TestPostgres | undefined;
let databaseUrl: string;
let net: TestNetwork | undefined;
/** One client per replica, no retries: a call that needed one fails the test. */
let a: WorkspaceClient;
let b: WorkspaceClient;

before(async () => {
  if (skip) return;
  postgres = await startPostgres();
  databaseUrl = await postgres.createDatabase('replicas');
  net = await startTestNetwork('postgres-replicas', { databaseUrl, workspaceReplicas: 2, env: { WR_MAX_QUEUE_WAIT_MS: '60000' } });
  const [first, second] = net.workspaces;
  a = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: first!.url, maxRetries: 0, timeoutMs: 60_000 });
  b = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: second!.url, maxRetries: 0, timeoutMs: 60_000 });
});

after(async () => {
  try {
    await net?.cleanup();
  } finally {
    await postgres?.stop();
  }
});

const onBoth = <T>(n: number, call: (c: WorkspaceClient, i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => call(i % 2 ? b : a, i)));
const keyCreations = async (publicKey: string, through = a) =>
  (await through.call(ComponentModule.LIST_AUDIT_EVENTS, { limit: 1000 }).promise()).events.filter(
    (e) => e.action === 'key.create' && e.details['publicKey'] === publicKey,
  ).length;

test('two replicas run on one PostgreSQL database, each with its own port', { skip }, async () => {
  assert.equal(net!.workspaces.length, 2);
  assert.notEqual(net!.workspaces[0]!.url, net!.workspaces[1]!.url);
  const versions = await postgres!.query<{ version: number }>(databaseUrl, 'SELECT version FROM schema_migrations ORDER BY version');
  assert.deepEqual(
    versions.map((v) => v.version),
    PG_MIGRATIONS.map((m) => m.version),
    'migrated once, though both replicas started on it',
  );
});

test('concurrent imports of one file through both replicas give one keyId', { skip }, async () => {
  const key = await a.call(ComponentModule.CREATE_KEY, { scheme: SCHEME, threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise();
  const { recipientKey } = await b.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-4' }).promise();
  const { wrappedKeyShare } = await a.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: recipientKey }).promise();
  const before = (await holdings(a, ['node-4'])).get('node-4')!.length;
  const results = await onBoth(20, (c) => c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare, nodeId: 'node-4' }).promise());
  assert.equal(new Set(results.map((r) => r.keyId)).size, 1, 'one keyId');
  assert.equal(results.filter((r) => !r.alreadyPresent).length, 1, 'imported once; every other import found it there');
  assert.equal((await holdings(b, ['node-4'])).get('node-4')!.length, before + 1);
});

test('an idempotency key replays across replicas: sent to A, then to B, and at once to both, one effect', { skip }, async () => {
  const first = await a.call(ComponentModule.GENERATE_AGE_ENCRYPTION, {}, { idempotencyKey: 'replicas-age-1' }).promise();
  const again = await b.call(ComponentModule.GENERATE_AGE_ENCRYPTION, {}, { idempotencyKey: 'replicas-age-1' }).promise();
  assert.deepEqual(again, first, 'the stored identity, not a new one');

  // The same CREATE_KEY to both at once: one runs, the other waits (CONFLICT, retried) and gets its result.
  const retrying = (url: string) => new WorkspaceClient({ apiKey: net!.apiKey, baseUrl: url, timeoutMs: 60_000, retryWindowMs: 60_000 });
  const params = { scheme: SCHEME, threshold: 2, nodeIds: ['node-2', 'node-3'] };
  const both = await Promise.all(
    net!.workspaces.map((w) => retrying(w.url).call(ComponentModule.CREATE_KEY, params, { idempotencyKey: 'replicas-create-1' }).promise()),
  );
  assert.equal(both[0]!.publicKey, both[1]!.publicKey);
  assert.equal(await keyCreations(both[0]!.publicKey), 1, 'one key.create in the audit log');
});

test('a key created on one replica works on the other at once; revoked there, it is refused on the first', { skip }, async () => {
  const made = generateApiKey();
  const created = await a.call(ComponentModule.CREATE_API_KEY, { name: 'replica reader', scopes: ['keys:read'], publicKey: made.publicKey }).promise();
  const reader = (url: string) => new WorkspaceClient({ apiKey: made.apiKey, baseUrl: url, maxRetries: 0 });
  await reader(net!.workspaces[1]!.url).call(ComponentModule.LIST_KEYS, { limit: 1 }).promise();
  await b.call(ComponentModule.REVOKE_API_KEY, { apiKeyId: created.apiKeyId }).promise();
  await assert.rejects(reader(net!.workspaces[0]!.url).call(ComponentModule.LIST_KEYS, { limit: 1 }).promise(), { code: 'UNAUTHENTICATED' });
  const changes = await postgres!.query<{ seq: number }>(databaseUrl, 'SELECT seq FROM registry_changes ORDER BY seq');
  assert.deepEqual(
    changes.map((c) => Number(c.seq)),
    changes.map((_, i) => i + 1),
    'one order of registry changes',
  );
});

test('writes through both replicas at once leave one audit chain, which each verifies', { skip }, async () => {
  const before = (await a.call(ComponentModule.VERIFY_AUDIT_LOG, {}).promise()).entries;
  await onBoth(30, (c) => c.call(ComponentModule.GENERATE_AGE_ENCRYPTION, {}).promise());
  const [va, vb] = await Promise.all([a.call(ComponentModule.VERIFY_AUDIT_LOG, {}).promise(), b.call(ComponentModule.VERIFY_AUDIT_LOG, {}).promise()]);
  assert.equal(va.ok, true, JSON.stringify(va));
  assert.deepEqual(vb, va, 'the same chain, seen from either replica');
  assert.ok(va.entries >= before + 30, `${va.entries} entries after ${before} and 30 more`);
  const events = (await b.call(ComponentModule.LIST_AUDIT_EVENTS, { limit: 1000 }).promise()).events;
  assert.deepEqual(
    events.map((e) => e.seq),
    events.map((_, i) => i + 1),
    'no gap, no fork',
  );
});

type Key = ComponentResult<'CREATE_KEY'>;

test('a replica killed with SIGKILL mid-call: the SDK retries on the other, which finishes the call exactly once', { skip }, async () => {
  const groupKeys = async () => new Set([...(await holdings(b, NODES)).values()].flat().map((k) => k.publicKey));
  const keysBefore = await groupKeys();
  // The SDK as a user sets it up for replicas: both URLs, the first one first.
  const client = new WorkspaceClient({ apiKey: net!.apiKey, baseUrl: net!.workspaces.map((w) => w.url), timeoutMs: 60_000, retryWindowMs: 90_000 });
  const idempotencyKey = 'replicas-killed-1';
  const call = client.call(ComponentModule.CREATE_KEY, { scheme: SCHEME, threshold: 3, nodeIds: [...NODES] }, { idempotencyKey }).promise();
  const settled = call.then(
    (r) => ({ ok: true as const, r }),
    (err: unknown) => ({ ok: false as const, err }),
  );

  // Mid-call: the replica has claimed the key (its record is running) and not answered.
  const running = async () =>
    (
      await postgres!.query<{ owner: string }>(databaseUrl, "SELECT owner FROM idempotency WHERE idempotency_key = $1 AND state = 'running'", [idempotencyKey])
    )[0];
  let claimed: { owner: string } | undefined;
  for (const deadline = Date.now() + 30_000; !claimed && Date.now() < deadline;) {
    claimed = await running();
    if (!claimed) await new Promise((r) => setTimeout(r, 5));
  }
  assert.ok(claimed, 'the first replica started the call');
  await net!.killWorkspaceReplica(0, 'SIGKILL');

  const outcome = await settled;
  assert.ok(outcome.ok, `the call finished on the other replica: ${outcome.ok ? '' : String(outcome.err)}`);
  const key: Key = outcome.r;
  const [record] = await postgres!.query<{ owner: string; state: string }>(databaseUrl, 'SELECT owner, state FROM idempotency WHERE idempotency_key = $1', [
    idempotencyKey,
  ]);
  assert.equal(record!.state, 'done');
  assert.notEqual(record!.owner, claimed.owner, 'the surviving replica took the call over, once the dead one’s lease ran out');

  // Exactly once: one new key on the nodes (the dead attempt's pending shares aborted), one key.create, and a retry replays it.
  const added = [...(await groupKeys())].filter((k) => !keysBefore.has(k));
  assert.deepEqual(added, [key.publicKey]);
  assert.equal(await keyCreations(key.publicKey, b), 1, 'one key.create in the audit log');
  const replay = await client.call(ComponentModule.CREATE_KEY, { scheme: SCHEME, threshold: 3, nodeIds: [...NODES] }, { idempotencyKey }).promise();
  assert.deepEqual(replay, key);
});
