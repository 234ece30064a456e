/**
 * Lists that grow answer a page at a time, through app.inject(): API keys in id
 * order and approval requests newest first, walked by cursor with no gap and no
 * duplicate while more are added; another workspace on the same state (a
 * PostgreSQL replica) lists the same keys alike.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildWorkspace } from '../src/server.js';
import { newApiKey, eachStore, startTestWorkspace, type StoreKind, type TestWorkspace } from './support.js';

function suite(kind: StoreKind): void {
  let ws: TestWorkspace;
  before(async () => {
    ws = await startTestWorkspace({ store: kind });
  });
  after(() => ws?.close());

  async function walk(component: string, params: object, field: string, during?: () => Promise<unknown>): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const r = await ws.call(component, { ...params, ...(cursor && { cursor }) });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      const items = r.json[field] as { apiKeyId?: string; approvalRequestId?: string }[];
      pages.push(items.map((i) => (i.apiKeyId ?? i.approvalRequestId)!));
      cursor = r.json['nextCursor'] as string | undefined;
      await during?.();
    } while (cursor);
    return pages;
  }

  test('LIST_API_KEYS walks every key by cursor, in id order, while keys are added', async () => {
    for (let i = 0; i < 7; i++) await ws.call('CREATE_API_KEY', { name: `k${i}`, scopes: ['keys:read'], publicKey: newApiKey().publicKey });
    const before = (await ws.call('LIST_API_KEYS', { limit: 1000 })).json['apiKeys'] as { apiKeyId: string }[];
    assert.equal(before.length, 8, 'the root key and seven more');
    const pages = await walk('LIST_API_KEYS', { limit: 3 }, 'apiKeys', () =>
      ws.call('CREATE_API_KEY', { name: 'meanwhile', scopes: ['keys:read'], publicKey: newApiKey().publicKey }),
    );
    const seen = pages.flat();
    assert.ok(pages.every((p) => p.length <= 3));
    assert.equal(new Set(seen).size, seen.length, 'no key twice');
    assert.deepEqual([...seen].sort(), seen, 'in id order');
    for (const k of before) assert.ok(seen.includes(k.apiKeyId), `${k.apiKeyId} was skipped`);
  });

  test('LIST_APPROVAL_REQUESTS walks newest first by cursor, with a status filter', async () => {
    assert.equal((await ws.call('SET_POLICY', { approvals: [{ component: 'DELETE_KEY_SHARE', approvals: 1 }] })).status, 200);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const keyId = `key_${String(i).padStart(26, '0')}`;
      const r = await ws.call('REQUEST_APPROVAL', { component: 'DELETE_KEY_SHARE', params: { keyId } });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      ids.push(r.json['approvalRequestId'] as string);
    }
    const pages = await walk('LIST_APPROVAL_REQUESTS', { status: 'pending', limit: 2 }, 'requests');
    assert.deepEqual(
      pages.map((p) => p.length),
      [2, 2, 1],
    );
    assert.deepEqual(pages.flat(), [...ids].reverse(), 'newest first, each once');
    assert.deepEqual(await walk('LIST_APPROVAL_REQUESTS', { status: 'executed' }, 'requests'), [[]]);
    const bad = await ws.call('LIST_APPROVAL_REQUESTS', { cursor: 'abc' });
    assert.equal(bad.json.error?.code, 'INVALID_ARGUMENT');
  });

  test('LIST_API_KEYS answers alike from another workspace on the same state: every key with the date it was made, the root key too', async () => {
    // PostgreSQL: another replica, whose registry copy is rebuilt in memory; SQLite: workspace.db as a restarted process opens it.
    // Some milliseconds on, so that a copy dating anything by its own start would differ.
    await new Promise((r) => setTimeout(r, 5));
    const other = await buildWorkspace(ws.config);
    try {
      const list = async (app: typeof ws.app) => (await ws.callOn(app)('LIST_API_KEYS', { limit: 1000 })).json['apiKeys'];
      assert.deepEqual(await list(other.app), await list(ws.app));
    } finally {
      await other.app.close();
    }
  });
}

eachStore(suite);
