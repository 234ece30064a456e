/**
 * The API-key registry on PostgreSQL, where each replica keeps a copy in memory
 * of one log: a change whose transaction fails leaves no trace in the copy of
 * the replica that tried it (it would otherwise let a key in there, and nowhere
 * else), and the changes that replica had replayed from others meanwhile stay.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { componentPath, type ComponentName } from '@wr/api';
import { signedHeaders, type ApiKey } from 'caller-sdk';
import { eachStore, newApiKey, startTestWorkspace, type StoreKind, type TestWorkspace } from './support.js';
import { buildWorkspace } from '../src/server.js';

/** A call to another replica, signed as the SDK signs it. */
async function injectSigned(app: FastifyInstance, key: ApiKey, component: ComponentName, body: object) {
  const payload = JSON.stringify(body);
  const headers = { ...signedHeaders(key, component, payload, randomUUID()), 'content-type': 'application/json' };
  const r = await app.inject({ method: 'POST', url: componentPath(component), payload, headers });
  return { status: r.statusCode };
}

// The copy in memory is PostgreSQL's alone: on SQLite the registry's tables are workspace.db's own.
function suite(kind: StoreKind): void {
  if (kind !== 'postgres') return;
  let a: TestWorkspace;
  let b: Awaited<ReturnType<typeof buildWorkspace>>;
  let db: pg.Client;

  before(async () => {
    a = await startTestWorkspace({ store: 'postgres' });
    b = await buildWorkspace(a.config);
    db = new pg.Client({ connectionString: a.config.databaseUrl });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await b?.app.close();
    await a?.close();
  });

  test('a registry change whose transaction fails is undone in the copy that tried it; changes replayed meanwhile stay', async () => {
    // A change another replica accepted, which a's next transaction replays first.
    const other = newApiKey();
    const onB = await injectSigned(b.app, a.admin, 'CREATE_API_KEY', { name: 'from b', scopes: ['nodes:read'], publicKey: other.publicKey });
    assert.equal(onB.status, 200);

    await db.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the log is full'; END $$`);
    await db.query('CREATE TRIGGER refuse BEFORE INSERT ON registry_changes FOR EACH ROW EXECUTE FUNCTION refuse()');
    const lost = newApiKey();
    const failed = await a.call('CREATE_API_KEY', { name: 'lost', scopes: ['nodes:read'], publicKey: lost.publicKey });
    assert.equal(failed.status, 500);
    assert.equal(failed.json.error?.code, 'INTERNAL');
    await db.query('DROP TRIGGER refuse ON registry_changes');

    assert.equal((await a.call('LIST_NODES', {}, { key: lost })).status, 401, 'a key whose change never committed is not let in');
    const listed = (await a.call('LIST_API_KEYS', { limit: 1000 })).json['apiKeys'] as { apiKeyId: string }[];
    assert.ok(!listed.some((k) => k.apiKeyId === lost.apiKeyId));
    assert.equal((await a.call('LIST_NODES', {}, { key: other })).status, 200, "b's change, replayed by a, stays");

    // Tried again, it is accepted, here and on the other replica.
    assert.equal((await a.call('CREATE_API_KEY', { name: 'lost', scopes: ['nodes:read'], publicKey: lost.publicKey })).status, 200);
    assert.equal((await a.call('LIST_NODES', {}, { key: lost })).status, 200);
    assert.equal((await injectSigned(b.app, lost, 'LIST_NODES', {})).status, 200);
  });
}

eachStore(suite);
