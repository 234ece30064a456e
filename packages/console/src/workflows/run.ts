/**
 * Starting a workflow run from the console: the one place that does. The run is first recorded in the workspace
 * (CREATE_WORKFLOW_RUN, without its secret inputs), which then records each step as it relays it, so the run shows
 * in `wr workflow list` and can be resumed from anywhere (`wr workflow resume`).
 *
 * The browser drives the run: each step is this console's own signed call with the idempotency key
 * `wf.<runId>.<stepId>` (@wr/workflow's stepIdempotencyKey), so running the same run id again replays the steps
 * done and never repeats one. This is a port of @wr/workflow's runWorkflow, step for step: that one checks the
 * definition with TypeBox's compiler, which builds its checks with `new Function`, and the console's
 * Content-Security-Policy allows no eval. The definitions here are the built-in TEMPLATES, which @wr/workflow's
 * own tests validate.
 */
import type { ComponentName, ComponentParams } from '@wr/api';
import { stepIdempotencyKey, type WorkflowDefinition } from '@wr/workflow';
import { ConsoleError, type ConsoleClient } from '../api/client.js';
import { isClearIdentity, sealIdentity } from './seal.js';

export type StepStatus = 'running' | 'done' | 'waiting' | 'failed';

export interface StepEvent {
  stepId: string;
  component: string;
  status: StepStatus;
  error?: { code: string; message: string };
}

export type RunResult = { runId: string; status: 'completed'; outputs: Record<string, unknown> } | { runId: string; status: 'waiting'; waitingAt: string };

type SealTo = { recipientKey: string; postQuantumRecipientKey: string };
type Binding = { const: unknown } | { input: string } | { step: string; output: string };
type AnyStep = { id: string; component?: string; params?: Record<string, Binding>; transfer?: Binding; passOnIf?: Binding };

/** A fresh run id: `console-`, the time and a random part (letters, digits, _ and -, as runs take). */
export function newRunId(): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('');
  return `console-${Date.now().toString(36)}-${random}`;
}

/** The inputs as the engine checks them: none unknown, every required one given, each of its type. */
function checkInputs(def: WorkflowDefinition, inputs: Record<string, unknown>): void {
  for (const name of Object.keys(inputs)) {
    if (!def.inputs[name]) throw new ConsoleError('INVALID_ARGUMENT', `inputs.${name}: ${def.name} takes no input ${name}`);
  }
  for (const [name, spec] of Object.entries(def.inputs)) {
    const v = inputs[name];
    if (v === undefined) {
      if (!spec.optional) throw new ConsoleError('INVALID_ARGUMENT', `inputs.${name}: ${def.name} needs it`);
      continue;
    }
    const ok = spec.type === 'integer' ? Number.isSafeInteger(v) : typeof v === spec.type;
    if (!ok) throw new ConsoleError('INVALID_ARGUMENT', `inputs.${name}: must be ${spec.type === 'integer' ? 'an integer' : `a ${spec.type}`}`);
  }
}

async function drive(
  client: ConsoleClient,
  def: WorkflowDefinition,
  inputs: Record<string, unknown>,
  runId: string,
  onStep: (event: StepEvent) => void,
): Promise<RunResult> {
  checkInputs(def, inputs);
  const recorded = Object.fromEntries(Object.entries(inputs).filter(([name]) => !def.inputs[name]?.secret));
  await client.call('CREATE_WORKFLOW_RUN', { template: def.name, inputs: recorded, runId }, `wf.${runId}`);
  const steps: Record<string, Record<string, unknown>> = {};
  const resolve = (b: Binding): unknown => ('const' in b ? b.const : 'input' in b ? inputs[b.input] : steps[b.step]?.[b.output]);

  for (const step of def.steps as AnyStep[]) {
    if (step.transfer !== undefined) {
      const passOn = step.passOnIf !== undefined && resolve(step.passOnIf) !== undefined;
      if (!passOn) {
        onStep({ stepId: step.id, component: 'transfer', status: 'waiting' });
        return { runId, status: 'waiting', waitingAt: step.id };
      }
      steps[step.id] = { blob: resolve(step.transfer) };
      onStep({ stepId: step.id, component: 'transfer', status: 'done' });
      continue;
    }
    if (step.component === undefined) {
      const error = new ConsoleError('INVALID_ARGUMENT', `step ${step.id}: the console cannot run this kind of step yet; run it with \`wr workflow run\``);
      onStep({ stepId: step.id, component: 'step', status: 'failed', error: { code: error.code, message: error.message } });
      throw error;
    }
    const params: Record<string, unknown> = {};
    for (const [name, binding] of Object.entries(step.params ?? {})) {
      const v = resolve(binding);
      if (v !== undefined) params[name] = v; // an optional input not given leaves its param out
    }
    onStep({ stepId: step.id, component: step.component, status: 'running' });
    try {
      if (step.component === 'REWRAPPING_KEY_SHARE' && isClearIdentity(params['ageIdentity'])) {
        const { roster } = await client.call('GET_NODE_RECIPIENT_KEY', {});
        params['ageIdentity'] = await sealIdentity(params['ageIdentity'], (JSON.parse(roster.roster) as { nodes: SealTo[] }).nodes);
      }
      steps[step.id] = (await client.call(
        step.component as ComponentName,
        params as ComponentParams<ComponentName>,
        stepIdempotencyKey(runId, step.id),
      )) as Record<string, unknown>;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      onStep({ stepId: step.id, component: step.component, status: 'failed', error: { code: e.code ?? 'INTERNAL', message: e.message ?? String(err) } });
      throw err;
    }
    onStep({ stepId: step.id, component: step.component, status: 'done' });
  }
  const outputs = Object.fromEntries(Object.entries(def.outputs).map(([name, b]) => [name, resolve(b as Binding)]));
  return { runId, status: 'completed', outputs };
}

/** Starts a run of `definition` with `inputs`; each step reports through onStep as it starts, ends, waits or fails. */
export function startRun(
  client: ConsoleClient,
  definition: WorkflowDefinition,
  inputs: Record<string, unknown>,
  onStep: (event: StepEvent) => void,
  runId: string = newRunId(),
): { runId: string; done: Promise<RunResult> } {
  return { runId, done: drive(client, definition, inputs, runId, onStep) };
}
