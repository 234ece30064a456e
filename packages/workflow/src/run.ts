/**
 * Runs a workflow as its caller: each component step is one call, signed by
 * the caller like any other (the workspace can relay a workflow, never run
 * one on its own), with an idempotency key made of the run id and the step
 * id. Running the same run id again therefore replays the steps already done
 * and goes on from the first that is not: after a crash, a kill or a transfer
 * that waited, the run resumes and no step runs twice.
 */
import type { ComponentName } from '@wr/api';
import { WrError } from '@wr/common';

import { isTransfer, type Binding, type WorkflowDefinition } from './definition.js';
import { validateWorkflow } from './validate.js';

export type StepStatus = 'running' | 'done' | 'waiting' | 'failed';

export interface StepEvent {
  stepId: string;
  component: string | 'transfer';
  status: StepStatus;
  error?: { code: string; message: string };
}

export interface RunOptions {
  /** Names the run: the same id resumes it. Letters, digits, `_` and `-`, up to 64. */
  runId: string;
  /** One signed call of a component with this idempotency key; its result. */
  call(component: ComponentName, params: Record<string, unknown>, idempotencyKey: string): Promise<Record<string, unknown>>;
  /** Blobs handed in to transfer steps that wait, by step id. */
  transfers?: Record<string, string>;
  /** Told as each step starts, ends, waits or fails. */
  onStep?(event: StepEvent): void;
}

export type RunResult =
  | { runId: string; status: 'completed'; outputs: Record<string, unknown>; steps: Record<string, Record<string, unknown>> }
  | { runId: string; status: 'waiting'; waitingAt: string; blob: string; steps: Record<string, Record<string, unknown>> };

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The idempotency key of one step of one run. */
export const stepIdempotencyKey = (runId: string, stepId: string) => `wf.${runId}.${stepId}`;

function checkInputs(def: WorkflowDefinition, inputs: Record<string, unknown>): void {
  for (const name of Object.keys(inputs)) {
    if (!def.inputs[name]) throw new WrError('INVALID_ARGUMENT', `inputs.${name}: ${def.name} takes no input ${name}`, { param: `inputs.${name}` });
  }
  for (const [name, spec] of Object.entries(def.inputs)) {
    const v = inputs[name];
    if (v === undefined) {
      if (!spec.optional) throw new WrError('INVALID_ARGUMENT', `inputs.${name}: ${def.name} needs it`, { param: `inputs.${name}` });
      continue;
    }
    const ok = spec.type === 'integer' ? Number.isSafeInteger(v) : typeof v === spec.type;
    if (!ok)
      throw new WrError('INVALID_ARGUMENT', `inputs.${name}: must be ${spec.type === 'integer' ? 'an integer' : `a ${spec.type}`}`, {
        param: `inputs.${name}`,
      });
  }
}

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
      const e = err as { code?: string; message?: string };
      opts.onStep?.({ stepId: step.id, component: step.component, status: 'failed', error: { code: e.code ?? 'INTERNAL', message: e.message ?? String(err) } });
      throw err;
    }
    opts.onStep?.({ stepId: step.id, component: step.component, status: 'done' });
  }
  const outputs = Object.fromEntries(Object.entries(def.outputs).map(([name, b]) => [name, resolve(b)]));
  return { runId: opts.runId, status: 'completed', outputs, steps };
}
