/**
 * Approved requests, through app.inject() on each store: approvals arriving at
 * once run the request once, and its outcome is that run's; a request claimed
 * by a runner that died is run by the next approval once the claim runs out.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eachStore, newApiKey, startTestWorkspace, type StoreKind, type TestWorkspace } from './support.js';

function suite(kind: StoreKind): void {
  let ws: TestWorkspace;
  let shares: { keyId: string }[];
  const approvers = [newApiKey(), newApiKey()];
  before(async () => {
    ws = await startTestWorkspace({ store: kind });
    for (const [i, a] of approvers.entries()) await ws.call('CREATE_API_KEY', { name: `approver ${i}`, scopes: ['admin'], publicKey: a.publicKey });
    assert.equal((await ws.call('SET_POLICY', { approvals: [{ component: 'DELETE_KEY_SHARE', approvals: 2 }] })).status, 200);
    const key = await ws.call('CREATE_KEY', { scheme: 'frost-ed25519', threshold: 2 });
    assert.equal(key.status, 200, JSON.stringify(key.json));
    shares = key.json['shares'] as { keyId: string }[];
  });
  after(() => ws?.close());

  const request = async (keyId: string) => {
    const r = await ws.call('REQUEST_APPROVAL', { component: 'DELETE_KEY_SHARE', params: { keyId } });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json['approvalRequestId'] as string;
  };
  const runs = async (id: string) =>
    ((await ws.call('LIST_AUDIT_EVENTS', { limit: 1000 })).json['events'] as { action: string; details: Record<string, unknown> }[]).filter(
      (e) => e.action === 'approval.execute' && e.details['approvalRequestId'] === id,
    ).length;
  const state = async (id: string) => (await ws.call('GET_APPROVAL_REQUEST', { approvalRequestId: id })).json;

  test('the last two approvals at once: the request runs once, and stays executed', async () => {
    const id = await request(shares[0]!.keyId);
    const answers = await Promise.all(approvers.map((key) => ws.call('APPROVE_REQUEST', { approvalRequestId: id }, { key })));
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200],
    );
    assert.equal(await runs(id), 1, 'run once');
    // A second run would find the share gone (NOT_FOUND) and mark the request failed.
    const done = await state(id);
    assert.equal(done['status'], 'executed', JSON.stringify(done));
    assert.deepEqual(done['result'], { keyId: shares[0]!.keyId, deleted: true });
    assert.equal(done['runningUntil'], undefined, 'the claim is no part of the answer');
  });

  test('a request another runner claimed waits for it; once the claim has run out (that runner died), the next approval runs it', async () => {
    const id = await request(shares[1]!.keyId);
    const claim = (until: number) =>
      ws.ctx.store.run('UPDATE approval_requests SET outcome = ? WHERE approval_request_id = ?', JSON.stringify({ runningUntil: until }), id);
    await claim(Date.now() + 60_000);
    for (const key of approvers) assert.equal((await ws.call('APPROVE_REQUEST', { approvalRequestId: id }, { key })).status, 200);
    assert.equal(await runs(id), 0, 'not while claimed');
    assert.equal((await state(id))['status'], 'pending');
    await claim(Date.now() - 1);
    assert.equal((await ws.call('APPROVE_REQUEST', { approvalRequestId: id }, { key: approvers[0] })).status, 200);
    assert.equal(await runs(id), 1);
    assert.equal((await state(id))['status'], 'executed');
  });
}

eachStore(suite);
