/**
 * The durable records of workflow runs: every SQL statement about runs is
 * here, on the workspace's store (SQLite or PostgreSQL).
 * A run's steps are kept as JSON (status, error, approval request); what a
 * step's result has that later steps or the outputs use is sealed, as the
 * idempotency records are. Secret inputs never reach this table.
 */
import { createHash } from 'node:crypto';
import type { WorkflowDefinition, WorkflowRun, WorkflowRunSummary } from '@wr/api';
import { WrError, canonicalJson, type Secret } from '@wr/common';
import { Sealer } from '@wr/server';
import { runState, type StepRecord } from '@wr/workflow';
import type { Sql, WorkspaceStore } from './store.js';

/** Serialises changes to runs across replicas. */
const LOCK = 'workflow_runs';

interface Row {
  seq: number;
  run_id: string;
  created_by: string;
  workflow: string;
  definition: string;
  inputs: string;
  request_hash: string;
  status: WorkflowRun['status'];
  waiting_at: string | null;
  failed_at: string | null;
  steps: string;
  sealed_results: Buffer | null;
  created_at: string;
  updated_at: string;
}

/** A run as stored: its definition and inputs, and each step's record. */
export interface StoredRun {
  runId: string;
  createdBy: string;
  definition: WorkflowDefinition;
  inputs: Record<string, unknown>;
  records: Record<string, StepRecord>;
  createdAt: string;
  updatedAt: string;
}

/** Tells one create request from another under the same runId. */
export function runRequestHash(definition: WorkflowDefinition, inputs: Record<string, unknown>): string {
  let text: string;
  try {
    text = canonicalJson({ definition, inputs });
  } catch {
    throw new WrError('INVALID_ARGUMENT', 'definition: constants and inputs are plain JSON with integer numbers', { param: 'definition' });
  }
  return createHash('sha256').update(text).digest('hex');
}

export class WorkflowRuns {
  readonly #sealer: Sealer;

  constructor(
    private readonly store: WorkspaceStore,
    masterKey: Secret<Uint8Array>,
  ) {
    this.#sealer = new Sealer(masterKey, 'workflow-runs');
  }

  /** Records a new run, or answers the one with this runId if it came from the same caller with the same request; else CONFLICT. */
  async create(run: { runId: string; createdBy: string; definition: WorkflowDefinition; inputs: Record<string, unknown> }): Promise<StoredRun> {
    const hash = runRequestHash(run.definition, run.inputs);
    const now = new Date().toISOString();
    await this.store.transaction(LOCK, async (tx) => {
      const had = await this.#row(tx, run.runId);
      if (had) {
        if (had.created_by !== run.createdBy || had.request_hash !== hash) {
          throw new WrError('CONFLICT', `runId: run ${run.runId} already exists with another request: pick another runId, or resume that run`, {
            param: 'runId',
          });
        }
        return;
      }
      const state = runState(run.definition, run.inputs, {});
      await tx.run(
        'INSERT INTO workflow_runs (run_id, created_by, workflow, definition, inputs, request_hash, status, waiting_at, failed_at, steps,' +
          ' created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        run.runId,
        run.createdBy,
        run.definition.name,
        JSON.stringify(run.definition),
        JSON.stringify(run.inputs),
        hash,
        state.status,
        state.waitingAt ?? null,
        state.failedAt ?? null,
        '{}',
        now,
        now,
      );
    });
    return (await this.get(run.runId))!;
  }

  async get(runId: string): Promise<StoredRun | undefined> {
    const row = await this.#row(this.store, runId);
    return row && this.#stored(row);
  }

  /** Newest first; `cursor` is the seq of the last run of the page before. */
  async list(opts: { limit: number; cursor?: number; status?: WorkflowRun['status'] }): Promise<{ runs: WorkflowRunSummary[]; nextCursor?: string }> {
    const rows = opts.status
      ? await this.store.all<Row>(
          'SELECT seq, run_id, created_by, workflow, status, waiting_at, failed_at, created_at, updated_at FROM workflow_runs' +
            ' WHERE status = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
          opts.status,
          opts.cursor ?? Number.MAX_SAFE_INTEGER,
          opts.limit + 1,
        )
      : await this.store.all<Row>(
          'SELECT seq, run_id, created_by, workflow, status, waiting_at, failed_at, created_at, updated_at FROM workflow_runs' +
            ' WHERE seq < ? ORDER BY seq DESC LIMIT ?',
          opts.cursor ?? Number.MAX_SAFE_INTEGER,
          opts.limit + 1,
        );
    const page = rows.slice(0, opts.limit);
    return {
      runs: page.map((r) => ({
        runId: r.run_id,
        workflow: r.workflow,
        status: r.status,
        createdBy: r.created_by,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        ...(r.waiting_at && { waitingAt: r.waiting_at }),
        ...(r.failed_at && { failedAt: r.failed_at }),
      })),
      ...(rows.length > opts.limit && { nextCursor: String(page[opts.limit - 1]!.seq) }),
    };
  }

  /** Changes a run's step records (in one transaction) and stores where the run then stands. */
  async updateSteps(runId: string, change: (records: Record<string, StepRecord>, run: StoredRun) => void): Promise<StoredRun> {
    await this.store.transaction(LOCK, async (tx) => {
      const row = await this.#row(tx, runId);
      if (!row) throw new WrError('NOT_FOUND', `runId: no workflow run ${runId} (wr workflow list shows them)`, { param: 'runId' });
      const run = this.#stored(row);
      change(run.records, run);
      const state = runState(run.definition, run.inputs, run.records);
      const steps: Record<string, Omit<StepRecord, 'result'>> = {};
      const results: Record<string, Record<string, unknown>> = {};
      for (const [id, { result, ...rest }] of Object.entries(run.records)) {
        steps[id] = rest;
        if (result) results[id] = result;
      }
      const sealed = Object.keys(results).length ? this.#sealer.seal(new TextEncoder().encode(JSON.stringify(results)), runId) : null;
      await tx.run(
        'UPDATE workflow_runs SET status = ?, waiting_at = ?, failed_at = ?, steps = ?, sealed_results = ?, updated_at = ? WHERE run_id = ?',
        state.status,
        state.waitingAt ?? null,
        state.failedAt ?? null,
        JSON.stringify(steps),
        sealed ? Buffer.from(sealed) : null,
        new Date().toISOString(),
        runId,
      );
    });
    return (await this.get(runId))!;
  }

  #row(sql: Sql, runId: string): Promise<Row | undefined> {
    return sql.get<Row>('SELECT * FROM workflow_runs WHERE run_id = ?', runId);
  }

  #stored(row: Row): StoredRun {
    const records = JSON.parse(row.steps) as Record<string, StepRecord>;
    if (row.sealed_results) {
      const results = JSON.parse(new TextDecoder().decode(this.#sealer.open(row.sealed_results, row.run_id).expose())) as Record<
        string,
        Record<string, unknown>
      >;
      for (const [id, result] of Object.entries(results)) if (records[id]) records[id].result = result;
    }
    return {
      runId: row.run_id,
      createdBy: row.created_by,
      definition: JSON.parse(row.definition) as WorkflowDefinition,
      inputs: JSON.parse(row.inputs) as Record<string, unknown>,
      records,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}
