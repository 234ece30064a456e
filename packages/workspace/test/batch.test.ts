/**
 * The batch components' per-item answers when the workspace itself fails on one
 * item: the node did every item, the audit log refused to record one of them,
 * and only that item fails; its neighbours on the same node keep their results.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestWorkspace, type TestWorkspace } from './support.js';

let ws: TestWorkspace;
before(async () => {
  ws = await startTestWorkspace({ nodeCount: 3 });
});
after(() => ws?.close());

/** The audit log fails the first append of `action`, then works again. */
function failFirstAppend(action: string) {
  const audit = ws.ctx.audit;
  const append = audit.append.bind(audit);
  let failed = false;
  audit.append = (actor, a, given) => {
    if (a === action && !failed) {
      failed = true;
      return Promise.reject(new Error('disk full'));
    }
    return append(actor, a, given);
  };
  return () => void (audit.append = append);
}

const codes = (results: { ok: boolean; error?: { code: string } }[]) => results.map((r) => (r.ok ? 'ok' : r.error?.code));

test('an audit failure on one exported item fails that item only; an imported one likewise', async () => {
  const keys = await Promise.all(
    [1, 2].map(() => ws.call('CREATE_KEY', { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'], exportable: true })),
  );
  const shares = keys.map((k) => (k.json['shares'] as { keyId: string; nodeId: string }[]).find((s) => s.nodeId === 'node-1')!.keyId);
  const recipient = ws.nodes[2]!.ctx.keyring.recipient;

  let restore = failFirstAppend('share.export');
  const exported = await ws.call('EXPORT_KEY_SHARES', { items: shares.map((keyId) => ({ keyId, ageRecipient: recipient })) });
  restore();
  assert.equal(exported.status, 200);
  const results = exported.json['results'] as { ok: boolean; wrappedKeyShare?: string; error?: { code: string; message: string } }[];
  assert.deepEqual(codes(results), ['INTERNAL', 'ok']);
  assert.doesNotMatch(results[0]!.error!.message, /disk full/, 'an internal cause stays in the log');
  assert.equal(results[0]!.wrappedKeyShare, undefined, 'an export the log did not record is not handed out');

  restore = failFirstAppend('share.import');
  const again = await ws.call('EXPORT_KEY_SHARES', { items: shares.map((keyId) => ({ keyId, ageRecipient: recipient })) });
  const blobs = (again.json['results'] as { wrappedKeyShare: string }[]).map((r) => r.wrappedKeyShare);
  const imported = await ws.call('IMPORT_KEY_SHARES', { items: blobs.map((wrappedKeyShare) => ({ nodeId: 'node-3', wrappedKeyShare })) });
  restore();
  assert.deepEqual(codes(imported.json['results'] as { ok: boolean }[]), ['INTERNAL', 'ok']);
  // The node imported both; the failed item, retried, is answered as already present.
  const retried = await ws.call('IMPORT_KEY_SHARES', { items: [{ nodeId: 'node-3', wrappedKeyShare: blobs[0] }] });
  assert.deepEqual(
    (retried.json['results'] as { ok: boolean; alreadyPresent?: boolean }[]).map((r) => [r.ok, r.alreadyPresent]),
    [[true, true]],
  );
});
