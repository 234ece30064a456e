/**
 * How the workspace talks to its nodes, through app.inject() in front of real
 * nodes on loopback: the roster handed over when it is ready, registry changes
 * relayed, a key made and used across nodes, node errors passed on with their
 * codes, and a node that is down.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readErrorBody } from '@wr/api';
import { newApiKey, eachStore, startTestWorkspace, type StoreKind, type TestWorkspace } from './support.js';

function suite(kind: StoreKind): void {
  let ws: TestWorkspace;
  before(async () => {
    ws = await startTestWorkspace({ store: kind });
  });
  after(() => ws?.close());

  test('once ready, every node holds the roster; LIST_NODES gives their keys from it', async () => {
    await ws.app.ready();
    for (const n of ws.nodes) assert.equal(n.ctx.roster.version, 1, `${n.nodeId} has the roster`);
    const listed = await ws.call('LIST_NODES', {});
    assert.equal(listed.status, 200);
    const nodes = listed.json['nodes'] as { nodeId: string; status: string; recipientKey: string }[];
    assert.deepEqual(
      nodes.map((n) => [n.nodeId, n.status]),
      [
        ['node-1', 'up'],
        ['node-2', 'up'],
      ],
    );
    assert.deepEqual(
      nodes.map((n) => n.recipientKey),
      ws.nodes.map((n) => n.ctx.keyring.recipient),
    );
  });

  test('a registry change is applied here and relayed to every node', async () => {
    const signer = newApiKey();
    const created = await ws.call('CREATE_API_KEY', { name: 'signer', scopes: ['keys:sign'], publicKey: signer.publicKey });
    assert.equal(created.status, 200);
    for (const n of ws.nodes) assert.deepEqual([...(n.ctx.authorizer.registry.get(signer.apiKeyId)?.scopes ?? [])], ['keys:sign'], n.nodeId);
  });

  test('a key made across the nodes signs; a node error comes through with its code', async () => {
    const key = await ws.call('CREATE_KEY', { scheme: 'frost-ed25519', threshold: 2 });
    assert.equal(key.status, 200);
    const shares = key.json['shares'] as { nodeId: string; keyId: string }[];
    assert.deepEqual(
      shares.map((s) => s.nodeId),
      ['node-1', 'node-2'],
    );
    const signed = await ws.call('SIGN', { keyIds: shares.map((s) => s.keyId), message: 'abcd' });
    assert.equal(signed.status, 200);
    assert.equal(signed.json['publicKey'], key.json['publicKey']);

    const missing = await ws.call('GET_KEY', { keyId: 'key_' + 'q'.repeat(26) });
    assert.equal(missing.status, 404);
    assert.deepEqual([missing.json.error?.code, missing.json.error?.param], ['NOT_FOUND', 'keyId']);
    assert.ok(readErrorBody(missing.json), 'the one error body');
  });

  test('a node that is down: /readyz names it, LIST_NODES says down, a call that needs it is NODE_UNAVAILABLE', async () => {
    const down = ws.nodes[0]!;
    await down.app.close();
    const ready = await ws.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    assert.deepEqual(ready.json(), { ok: false, nodesDown: ['node-1'] });
    const listed = await ws.call('LIST_NODES', {});
    assert.deepEqual(
      (listed.json['nodes'] as { status: string }[]).map((n) => n.status),
      ['down', 'up'],
    );
    const made = await ws.call('CREATE_KEY', { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] });
    assert.equal(made.status, 503);
    assert.equal(made.json.error?.code, 'NODE_UNAVAILABLE');
    assert.match(made.json.error!.message, /node-1/);
  });
}

eachStore(suite);
