/**
 * The run records on their own (workspace.db, no network): a runId names one
 * run (the same request answers it, another is CONFLICT), lists go newest first
 * a page at a time, and what a record keeps of a step's result is sealed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '@wr/common';
import { TEMPLATES } from '@wr/workflow';
import { SqliteWorkspaceStore } from '../src/store.js';
import { WorkflowRuns } from '../src/workflow-runs.js';

const seed = TEMPLATES['export-import-key-share']!;

test('run records: one run per runId, newest first, step results sealed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wr-workflow-runs-'));
  const file = join(dir, 'workspace.db');
  const store = SqliteWorkspaceStore.open(file);
  const db = store.db;
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
    db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = Buffer.concat([file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f)));
    assert.equal(bytes.indexOf(marker), -1, 'step results are sealed at rest');
    assert.notEqual(bytes.indexOf('NODE_UNAVAILABLE'), -1, 'step statuses are not');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
