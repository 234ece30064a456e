/**
 * Runs a workflow as its caller: each component step is one call, signed by
 * the caller like any other (the workspace can relay a workflow, never run
 * one on its own), with an idempotency key made of the run id and the step
 * id. Running the same run id again therefore replays the steps already done
 * and goes on from the first that is not: after a crash, a kill or a transfer
 * that waited, the run resumes and no step runs twice. A step held for
 * approvals makes the run wait at it (`call` throws StepWaitsForApproval).
 */
import type { ComponentName } from '@wr/api';
import { WrError } from '@wr/common';

import { isTransfer, type Binding } from './definition.js';
import { checkInputs } from './inputs.js';
import { validateWorkflow } from './validate.js';

export type StepStatus = 'running' | 'done' | 'waiting' | 'failed';

export interface StepEvent {
  stepId: string;
  component: string | 'transfer';
  status: StepStatus;
  error?: { code: string; message: string };
  /** A step that waits for approvals: the approval request. */
  approvalRequestId?: string;
}

/** Thrown by `call` when the step's call is held for approvals: the run waits at the step. */
export class StepWaitsForApproval extends Error {
  constructor(readonly approvalRequestId: string) {
    super(`the step waits for approvals of ${approvalRequestId}`);
  }
}

export interface RunOptions {
  /** Names the run: the same id resumes it. Letters, digits, `_` and `-`, up to 64. */
  runId: string;
  /** One signed call of a component with this idempotency key; its result. Throws StepWaitsForApproval when the call waits for approvals. */
  call(component: ComponentName, params: Record<string, unknown>, idempotencyKey: string): Promise<Record<string, unknown>>;
  /** Blobs handed in to transfer steps that wait, by step id. */
  transfers?: Record<string, string>;
  /** Told as each step starts, ends, waits or fails. */
  onStep?(event: StepEvent): void;
}

/** A run waits at a transfer (with the blob it carries, to move out of band) or at an approval (with the request). */
export type RunResult<O = Record<string, unknown>> =
  | { runId: string; status: 'completed'; outputs: O; steps: Record<string, Record<string, unknown>> }
  | { runId: string; status: 'waiting'; waitingAt: string; blob?: string; approvalRequestId?: string; steps: Record<string, Record<string, unknown>> };

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The idempotency key of one step of one run. */
export const stepIdempotencyKey = (runId: string, stepId: string) => `wf.${runId}.${stepId}`;

/** Runs (or resumes) `definition` with `inputs`; each step reports through onStep. */
export async function runWorkflow(definition: unknown, inputs: Record<string, unknown>, opts: RunOptions): Promise<RunResult> {
  const def = validateWorkflow(definition);
  if (!RUN_ID.test(opts.runId)) throw new WrError('INVALID_ARGUMENT', 'runId: letters, digits, _ and -, up to 64', { param: 'runId' });
  checkInputs(def, inputs);
  const steps: Record<string, Record<string, unknown>> = {};
  const resolve = (b: Binding): unknown => ('const' in b ? b.const : 'input' in b ? inputs[b.input] : steps[b.step]![b.output]);

  for (const step of def.steps) {
    if (isTransfer(step)) {
      const blob = resolve(step.transfer) as string;
      const handedIn = opts.transfers?.[step.id];
      const passOn = step.passOnIf !== undefined && resolve(step.passOnIf) !== undefined;
      if (handedIn === undefined && !passOn) {
        opts.onStep?.({ stepId: step.id, component: 'transfer', status: 'waiting' });
        return { runId: opts.runId, status: 'waiting', waitingAt: step.id, blob, steps };
      }
      steps[step.id] = { blob: handedIn ?? blob };
      opts.onStep?.({ stepId: step.id, component: 'transfer', status: 'done' });
      continue;
    }
    const params: Record<string, unknown> = {};
    for (const [name, binding] of Object.entries(step.params)) {
      const v = resolve(binding);
      if (v !== undefined) params[name] = v; // an optional input not given leaves its param out
    }
    opts.onStep?.({ stepId: step.id, component: step.component, status: 'running' });
    try {
      steps[step.id] = await opts.call(step.component as ComponentName, params, stepIdempotencyKey(opts.runId, step.id));
    } catch (err) {
      if (err instanceof StepWaitsForApproval) {
        const { approvalRequestId } = err;
        opts.onStep?.({ stepId: step.id, component: step.component, status: 'waiting', approvalRequestId });
        return { runId: opts.runId, status: 'waiting', waitingAt: step.id, approvalRequestId, steps };
      }
      const e = err as { code?: string; message?: string };
      opts.onStep?.({ stepId: step.id, component: step.component, status: 'failed', error: { code: e.code ?? 'INTERNAL', message: e.message ?? String(err) } });
      throw err;
    }
    opts.onStep?.({ stepId: step.id, component: step.component, status: 'done' });
  }
  const outputs = Object.fromEntries(Object.entries(def.outputs).map(([name, b]) => [name, resolve(b)]));
  return { runId: opts.runId, status: 'completed', outputs, steps };
}
