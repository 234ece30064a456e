/**
 * The run records, on each store: on their own (no network), a runId names one
 * run (the same request answers it, another is CONFLICT), lists go newest
 * first a page at a time, and what a record keeps of a step's result is
 * sealed; through the components, two replicas on one PostgreSQL database
 * see and move on the same run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { WorkflowRun } from '@wr/api';
import { Secret } from '@wr/common';
import { TEMPLATES } from '@wr/workflow';
import { WorkflowRuns } from '../src/workflow-runs.js';
import { eachStore, openTestStore, startTestWorkspace, type StoreKind } from './support.js';

const seed = TEMPLATES['export-import-key-share']!;

function suite(kind: StoreKind): void {
  test('run records: one run per runId, newest first, step results sealed', async () => {
    const { store, atRest, close } = await openTestStore(kind);
    try {
      const runs = new WorkflowRuns(store, new Secret(new Uint8Array(randomBytes(32))));
      const made = await runs.create({ runId: 'r1', createdBy: 'ak_a', definition: seed, inputs: { keyId: 'key_1' } });
      assert.equal(made.createdBy, 'ak_a');
      const same = await runs.create({ runId: 'r1', createdBy: 'ak_a', definition: seed, inputs: { keyId: 'key_1' } });
      assert.equal(same.createdAt, made.createdAt, 'the same request answers the same run');
      await assert.rejects(runs.create({ runId: 'r1', createdBy: 'ak_a', definition: seed, inputs: { keyId: 'key_2' } }), { code: 'CONFLICT', param: 'runId' });
      await assert.rejects(runs.create({ runId: 'r1', createdBy: 'ak_b', definition: seed, inputs: { keyId: 'key_1' } }), { code: 'CONFLICT' });
      for (const id of ['r2', 'r3']) await runs.create({ runId: id, createdBy: 'ak_a', definition: seed, inputs: { keyId: 'key_1' } });

      const marker = 'wrapped-share-ciphertext-marker';
      await runs.updateSteps('r2', (records) => {
        records['recipient'] = { status: 'done', result: { nodeId: 'node-4', recipientKey: 'age1x' } };
        records['backupIdentity'] = { status: 'done', result: {} };
        records['export'] = { status: 'done', result: { wrappedKeyShare: marker } };
      });
      await runs.updateSteps('r3', (records) => {
        records['recipient'] = { status: 'failed', error: { code: 'NODE_UNAVAILABLE', message: 'node-4 did not answer' } };
      });
      await assert.rejects(
        runs.updateSteps('nope', () => undefined),
        { code: 'NOT_FOUND' },
      );

      const page1 = await runs.list({ limit: 2 });
      assert.deepEqual(
        page1.runs.map((r) => [r.runId, r.status, r.waitingAt ?? r.failedAt ?? '']),
        [
          ['r3', 'failed', 'recipient'],
          ['r2', 'waiting', 'transfer'],
        ],
      );
      assert.ok(page1.nextCursor);
      const page2 = await runs.list({ limit: 2, cursor: Number(page1.nextCursor) });
      assert.deepEqual(
        page2.runs.map((r) => r.runId),
        ['r1'],
      );
      assert.equal(page2.nextCursor, undefined);
      assert.deepEqual(
        (await runs.list({ limit: 10, status: 'failed' })).runs.map((r) => r.runId),
        ['r3'],
      );

      const r2 = (await runs.get('r2'))!;
      assert.deepEqual(r2.records['export'], { status: 'done', result: { wrappedKeyShare: marker } }, 'the kept result opens');
      const bytes = atRest();
      assert.equal(bytes.indexOf(marker), -1, 'step results are sealed at rest');
      assert.notEqual(bytes.indexOf('NODE_UNAVAILABLE'), -1, 'step statuses are not');
    } finally {
      await close();
    }
  });

  // Replicas share a PostgreSQL database; workspace.db serves one process.
  if (kind === 'postgres') {
    test("two replicas on one database: a run made on one is read, stepped, resumed and completed across both, each seeing the other's steps", async () => {
      const a = await startTestWorkspace({ store: kind, nodeCount: 3 });
      const b = await a.replica();
      try {
        const key = await a.call('CREATE_KEY', { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] });
        assert.equal(key.status, 200, JSON.stringify(key.json));
        const source = (key.json['shares'] as { keyId: string }[])[0]!.keyId;
        const runId = 'replicas-1';
        const created = await a.call('CREATE_WORKFLOW_RUN', { template: 'export-import-key-share', inputs: { keyId: source }, runId });
        assert.equal(created.status, 200, JSON.stringify(created.json));
        const get = async (on: typeof a | typeof b) => {
          const r = await on.call('GET_WORKFLOW_RUN', { runId });
          assert.equal(r.status, 200, JSON.stringify(r.json));
          return r.json as unknown as WorkflowRun;
        };
        const steps = (run: WorkflowRun) => run.steps.map((s) => `${s.stepId}:${s.status}`);
        assert.deepEqual(steps(await get(b)), steps(created.json as unknown as WorkflowRun), 'the other replica reads the run');

        // Each step is a call under the key wf.<runId>.<stepId>, to either replica: each records it where both see it.
        const step = async (on: typeof a | typeof b, stepId: string, component: string, params: object) => {
          const r = await on.call(component, params, { idempotencyKey: `wf.${runId}.${stepId}` });
          assert.equal(r.status, 200, JSON.stringify(r.json));
          return r.json;
        };
        const recipient = await step(b, 'recipient', 'GET_NODE_RECIPIENT_KEY', {});
        assert.equal(recipient['nodeId'], 'node-3');
        await step(a, 'backupIdentity', 'GENERATE_AGE_ENCRYPTION', {});
        const exported = await step(b, 'export', 'EXPORT_KEY_SHARE', { keyId: source, ageRecipient: recipient['recipientKey'] });
        const waiting = await get(a);
        assert.equal(waiting.status, 'waiting');
        assert.equal(waiting.waitingAt, 'transfer');
        assert.deepEqual(steps(waiting), ['recipient:done', 'backupIdentity:done', 'export:done', 'transfer:waiting', 'import:pending']);

        const resumed = await b.call('RESUME_WORKFLOW_RUN', { runId, stepId: 'transfer', blob: exported['wrappedKeyShare'] });
        assert.equal(resumed.status, 200, JSON.stringify(resumed.json));
        assert.equal((await get(a)).steps.find((s) => s.stepId === 'transfer')?.status, 'done', 'the resume is seen on the other replica');
        const imported = await step(a, 'import', 'IMPORT_KEY_SHARE', { wrappedKeyShare: exported['wrappedKeyShare'], nodeId: 'node-3' });

        const done = await get(b);
        assert.equal(done.status, 'completed');
        assert.deepEqual([done.outputs?.['keyId'], done.outputs?.['nodeId']], [imported['keyId'], 'node-3']);
        const listed = await b.call('LIST_WORKFLOW_RUNS', { status: 'completed' });
        assert.deepEqual(
          (listed.json['runs'] as { runId: string }[]).map((r) => r.runId),
          [runId],
        );
        // The moved share signs with an original one, so the run did what its record says.
        const shares = [imported['keyId'] as string, (key.json['shares'] as { keyId: string }[])[1]!.keyId];
        const signed = await b.call('SIGN', { keyIds: shares, message: 'c0ffee' });
        assert.equal(signed.json['publicKey'], key.json['publicKey']);
      } finally {
        await b.close();
        await a.close();
      }
    });
  }
}

eachStore(suite);
