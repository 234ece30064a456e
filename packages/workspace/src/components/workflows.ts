/**
 * Workflow runs: the workspace keeps the durable record, the caller's client
 * drives the run. The workspace never runs a step itself (each is a call the
 * caller signs); it records each step as it relays the step's call, which it
 * knows by its idempotency key wf.<runId>.<stepId> from the run's creator.
 */
import { LIMITS, type ComponentName, type WorkflowRun } from '@wr/api';
import { ERROR_CODES, WrError, isErrorCode } from '@wr/common';
import { toWrError } from '@wr/server';
import { TEMPLATES, checkInputs, isTransfer, keptResult, runState, validateWorkflow } from '@wr/workflow';
import type { WorkspaceContext } from '../context.js';
import type { StoredRun } from '../workflow-runs.js';
import type { Handlers } from './types.js';

function describeRun(run: StoredRun): WorkflowRun {
  return {
    runId: run.runId,
    workflow: run.definition.name,
    definition: run.definition,
    inputs: run.inputs,
    createdBy: run.createdBy,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    ...runState(run.definition, run.inputs, run.records),
  };
}

async function load(ws: WorkspaceContext, runId: string): Promise<StoredRun> {
  const run = await ws.workflowRuns.get(runId);
  if (!run) throw new WrError('NOT_FOUND', `runId: no workflow run ${runId} (wr workflow list shows them)`, { param: 'runId' });
  return run;
}

export const workflowComponents: Pick<Handlers, 'CREATE_WORKFLOW_RUN' | 'GET_WORKFLOW_RUN' | 'LIST_WORKFLOW_RUNS' | 'RESUME_WORKFLOW_RUN'> = {
  async CREATE_WORKFLOW_RUN(ws, call, p) {
    if ((p.template === undefined) === (p.definition === undefined)) {
      throw new WrError('INVALID_ARGUMENT', 'template, definition: give exactly one (a template name, or a definition)', { param: 'template' });
    }
    const definition = p.template !== undefined ? TEMPLATES[p.template] : validateWorkflow(p.definition);
    if (!definition) {
      throw new WrError('INVALID_ARGUMENT', `template: no template ${p.template} (templates: ${Object.keys(TEMPLATES).join(', ')})`, { param: 'template' });
    }
    checkInputs(definition, p.inputs, { recorded: true });
    const runId = p.runId ?? `run_${call.sessionId.replace(/[^A-Za-z0-9_-]/g, '')}`.slice(0, 64);
    const run = await ws.workflowRuns.create({ runId, createdBy: call.caller.apiKeyId, definition, inputs: p.inputs });
    await ws.audit.append(call.caller.apiKeyId, 'workflow.create', { runId, workflow: definition.name });
    return describeRun(run);
  },

  async GET_WORKFLOW_RUN(ws, _call, p) {
    return describeRun(await load(ws, p.runId));
  },

  async LIST_WORKFLOW_RUNS(ws, _call, p) {
    return ws.workflowRuns.list({ limit: p.limit ?? LIMITS.pageDefault, ...(p.cursor && { cursor: Number(p.cursor) }), ...(p.status && { status: p.status }) });
  },

  async RESUME_WORKFLOW_RUN(ws, call, p) {
    const had = await load(ws, p.runId);
    if (had.createdBy !== call.caller.apiKeyId) throw new WrError('PERMISSION_DENIED', `only the API key that created run ${p.runId} moves it on`);
    const step = had.definition.steps.find((s) => s.id === p.stepId);
    if (!step || !isTransfer(step)) {
      throw new WrError('INVALID_ARGUMENT', `stepId: ${p.stepId} is no transfer step of ${had.definition.name}`, { param: 'stepId' });
    }
    const run = await ws.workflowRuns.updateSteps(p.runId, (records) => {
      const state = runState(had.definition, had.inputs, records);
      const done = state.steps.find((s) => s.stepId === p.stepId)!;
      if (done.status === 'done') {
        if (done.blob === p.blob) return;
        throw new WrError('CONFLICT', `step ${p.stepId} of run ${p.runId} already has its blob`);
      }
      if (state.waitingAt !== p.stepId) {
        throw new WrError('CONFLICT', `run ${p.runId} does not wait at ${p.stepId} (${state.waitingAt ? `it waits at ${state.waitingAt}` : state.status})`);
      }
      records[p.stepId] = { status: 'done', result: { blob: p.blob } };
    });
    await ws.audit.append(call.caller.apiKeyId, 'workflow.resume', { runId: p.runId, stepId: p.stepId });
    return describeRun(run);
  },
};

const STEP_KEY = /^wf\.([A-Za-z0-9_-]{1,64})\.([a-z][a-zA-Z0-9-]{0,63})$/;

/** What the relay tells a run about one step's call; only its first ending counts. */
export interface StepTracker {
  started(): Promise<void>;
  ended(outcome: { result: unknown } | { error: unknown }): Promise<void>;
  /** The call was refused before it started (its body, a bound): the step failed with that. Once started, the call's own ending counts. */
  refused(error: unknown): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the call is verified, when it is a step of a workflow run. */
    workflowStep?: StepTracker;
  }
}

/**
 * The step a call is, if it is one: its idempotency key is wf.<runId>.<stepId> of a run this caller created, and it
 * calls the step's component (or asks for, or after, the approvals that component needs).
 */
export async function workflowStepOf(ws: WorkspaceContext, apiKeyId: string, idempotencyKey: string | undefined, component: ComponentName) {
  const m = idempotencyKey === undefined ? null : STEP_KEY.exec(idempotencyKey);
  if (!m) return undefined;
  const [, runId, stepId] = m as unknown as [string, string, string];
  const run = await ws.workflowRuns.get(runId);
  const step = run?.definition.steps.find((s) => s.id === stepId);
  if (!run || run.createdBy !== apiKeyId || !step || isTransfer(step)) return undefined;
  const viaApproval = component === 'REQUEST_APPROVAL' || component === 'GET_APPROVAL_REQUEST';
  if (component !== step.component && !viaApproval) return undefined;
  const def = run.definition;
  let started = false;
  let ended = false;

  const tracker: StepTracker = {
    async refused(error) {
      if (!started) await tracker.ended({ error });
    },
    async started() {
      started = true;
      await ws.workflowRuns.updateSteps(runId, (records) => {
        if (records[stepId]?.status !== 'done') records[stepId] = { status: 'running' };
      });
    },
    async ended(outcome) {
      if (ended) return;
      ended = true;
      // As the caller is answered: a refused body (fastify's own error) becomes INVALID_ARGUMENT naming the param.
      const errorOf = (err: unknown) => {
        const wr = toWrError(err);
        return { code: wr.code, message: wr.code === 'INTERNAL' ? 'an internal error occurred' : wr.message, hint: ERROR_CODES[wr.code].hint };
      };
      await ws.workflowRuns.updateSteps(runId, (records) => {
        if (records[stepId]?.status === 'done') return; // a replay keeps it done
        if ('error' in outcome) {
          records[stepId] = { status: 'failed', error: errorOf(outcome.error) };
          return;
        }
        if (!viaApproval) {
          records[stepId] = { status: 'done', result: keptResult(def, stepId, outcome.result as Record<string, unknown>) };
          return;
        }
        const request = outcome.result as { approvalRequestId: string; status: string; result?: unknown; error?: { code: string; message: string } };
        const approvalRequestId = request.approvalRequestId;
        if (request.status === 'executed') {
          records[stepId] = { status: 'done', approvalRequestId, result: keptResult(def, stepId, request.result as Record<string, unknown>) };
        } else if (request.status === 'failed') {
          const code = isErrorCode(request.error?.code) ? request.error.code : 'INTERNAL';
          records[stepId] = { status: 'failed', approvalRequestId, error: { code, message: request.error?.message ?? '', hint: ERROR_CODES[code].hint } };
        } else records[stepId] = { status: 'waiting', approvalRequestId };
      });
      const now = (await ws.workflowRuns.get(runId))!.records[stepId];
      await ws.audit.append(apiKeyId, 'workflow.step', { runId, stepId, component: step.component, status: now?.status ?? 'pending' });
    },
  };
  return tracker;
}
