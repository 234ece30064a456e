/**
 * The run record's view of a run: what each step came to as the workspace
 * relayed its call, and from that where the run stands (running, waiting at a
 * transfer or an approval, failed at a step, completed with its outputs). Pure:
 * the workspace keeps the records, this reads them.
 */
import type { WorkflowRun } from '@wr/api';
import { isTransfer, type Binding, type WorkflowDefinition } from './definition.js';

export interface StepRecord {
  status: 'running' | 'done' | 'waiting' | 'failed';
  error?: { code: string; message: string; hint?: string };
  approvalRequestId?: string;
  /** Only the outputs a later binding or the run's outputs use (see neededOutputs). */
  result?: Record<string, unknown>;
}

export type RunState = Pick<WorkflowRun, 'status' | 'waitingAt' | 'approvalRequestId' | 'failedAt' | 'error' | 'steps' | 'outputs'>;

/** Every step output some binding uses, by step: all a record keeps of a step's result. */
export function neededOutputs(def: WorkflowDefinition): Map<string, Set<string>> {
  const needed = new Map<string, Set<string>>();
  const use = (b: Binding | undefined) => {
    if (b && 'step' in b) needed.set(b.step, (needed.get(b.step) ?? new Set()).add(b.output));
  };
  for (const step of def.steps) {
    if (isTransfer(step)) {
      use(step.transfer);
      use(step.passOnIf);
    } else Object.values(step.params).forEach(use);
  }
  Object.values(def.outputs).forEach(use);
  return needed;
}

/** The part of a step's result that a record keeps. */
export function keptResult(def: WorkflowDefinition, stepId: string, result: Record<string, unknown>): Record<string, unknown> {
  const needed = neededOutputs(def).get(stepId) ?? new Set<string>();
  return Object.fromEntries(Object.entries(result).filter(([k]) => needed.has(k)));
}

/** Where a run stands, from its steps' records: the first step not done decides its status. */
export function runState(def: WorkflowDefinition, inputs: Record<string, unknown>, records: Record<string, StepRecord>): RunState {
  const results: Record<string, Record<string, unknown>> = {};
  const resolve = (b: Binding): unknown => ('const' in b ? b.const : 'input' in b ? inputs[b.input] : results[b.step]?.[b.output]);
  const state: RunState = { status: 'completed', steps: [] };
  let decided = false;
  const decide = (s: Omit<RunState, 'steps'>) => {
    Object.assign(state, s);
    decided = true;
  };
  for (const step of def.steps) {
    const rec = records[step.id];
    if (isTransfer(step)) {
      let blob = rec?.status === 'done' ? (rec.result?.['blob'] as string | undefined) : undefined;
      // A transfer that passes its blob on is done as soon as the steps before it are.
      if (blob === undefined && !decided && step.passOnIf !== undefined && resolve(step.passOnIf) !== undefined) blob = resolve(step.transfer) as string;
      if (blob !== undefined) {
        results[step.id] = { blob };
        state.steps.push({ stepId: step.id, component: 'transfer', status: 'done', blob });
        continue;
      }
      state.steps.push({ stepId: step.id, component: 'transfer', status: decided ? 'pending' : 'waiting' });
      if (!decided) decide({ status: 'waiting', waitingAt: step.id });
      continue;
    }
    const status = rec?.status ?? 'pending';
    state.steps.push({
      stepId: step.id,
      component: step.component,
      status,
      ...(rec?.error && { error: rec.error }),
      ...(rec?.approvalRequestId && { approvalRequestId: rec.approvalRequestId }),
    });
    if (status === 'done') {
      results[step.id] = rec?.result ?? {};
      continue;
    }
    if (decided) continue;
    if (status === 'failed') decide({ status: 'failed', failedAt: step.id, error: { code: rec!.error!.code, message: rec!.error!.message } });
    else if (status === 'waiting')
      decide({ status: 'waiting', waitingAt: step.id, ...(rec?.approvalRequestId && { approvalRequestId: rec.approvalRequestId }) });
    else decide({ status: 'running' });
  }
  if (!decided) state.outputs = Object.fromEntries(Object.entries(def.outputs).map(([name, b]) => [name, resolve(b)]));
  return state;
}
