/**
 * Workflow runs driven from the console, by @wr/workflow's runWorkflow (the engine the SDK and `wr workflow` use):
 * each step is this console's own signed call with the idempotency key `wf.<runId>.<stepId>`, so running a run
 * again replays the steps done and never repeats one. A run is first recorded in the workspace
 * (CREATE_WORKFLOW_RUN, without its secret inputs), which records each step as it relays it; so a run shows in
 * `wr workflow list`, and one this key started anywhere (the CLI, the SDK, this page) resumes here from its record.
 *
 * What is the console's own: an age identity typed into the page is sealed to the nodes before it is sent (seal.ts).
 */
import type { ComponentName, ComponentParams, WorkflowRun } from '@wr/api';
import {
  callThroughApprovals,
  checkInputs,
  recordedApprovals,
  recordedInputs,
  recordedTransfers,
  runWorkflow,
  validateWorkflow,
  type RunResult,
  type StepEvent,
  type WorkflowDefinition,
} from '@wr/workflow';
import type { ConsoleClient } from '../api/client.js';
import { isClearIdentity, sealIdentity } from './seal.js';

export type { RunResult, StepEvent };

type SealTo = { recipientKey: string; postQuantumRecipientKey: string };

/** A fresh run id: `console-`, the time and a random part (letters, digits, _ and -, as runs take). */
export function newRunId(): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('');
  return `console-${Date.now().toString(36)}-${random}`;
}

/** One step's call as this console signs it; a clear age identity in its params is sealed to every node first. */
async function consoleCall(client: ConsoleClient, component: ComponentName, params: Record<string, unknown>, idempotencyKey: string): Promise<unknown> {
  if (component === 'REWRAPPING_KEY_SHARE' && isClearIdentity(params['ageIdentity'])) {
    const { roster } = await client.call('GET_NODE_RECIPIENT_KEY', {});
    params = { ...params, ageIdentity: await sealIdentity(params['ageIdentity'], (JSON.parse(roster.roster) as { nodes: SealTo[] }).nodes) };
  }
  return client.call(component, params as ComponentParams<ComponentName>, idempotencyKey);
}

function drive(
  client: ConsoleClient,
  def: WorkflowDefinition,
  inputs: Record<string, unknown>,
  run: Pick<WorkflowRun, 'runId' | 'steps'>,
  onStep: (e: StepEvent) => void,
) {
  return runWorkflow(def, inputs, {
    runId: run.runId,
    transfers: recordedTransfers(run),
    call: callThroughApprovals((component, params, key) => consoleCall(client, component, params, key), recordedApprovals(run)),
    onStep,
  });
}

/** Records a run of `definition` with `inputs`, then runs its steps; each reports through onStep as it starts, ends, waits or fails. */
export function startRun(
  client: ConsoleClient,
  definition: WorkflowDefinition,
  inputs: Record<string, unknown>,
  onStep: (event: StepEvent) => void,
  runId: string = newRunId(),
): { runId: string; done: Promise<RunResult> } {
  const done = (async () => {
    const def = validateWorkflow(definition);
    checkInputs(def, inputs);
    const run = await client.call('CREATE_WORKFLOW_RUN', { template: def.name, inputs: recordedInputs(def, inputs), runId }, `wf.${runId}`);
    return drive(client, def, inputs, run, onStep);
  })();
  return { runId, done };
}

/**
 * Goes on with a run from its record, as `wr workflow resume RUN [--blob FILE]`: hands in the blob of the transfer it
 * waits at (RESUME_WORKFLOW_RUN), then runs the steps left. `secretInputs`: those its record never holds.
 */
export async function resumeRun(
  client: ConsoleClient,
  runId: string,
  opts: { blob?: string; secretInputs?: Record<string, unknown>; onStep: (event: StepEvent) => void },
): Promise<RunResult> {
  let run = await client.call('GET_WORKFLOW_RUN', { runId });
  if (opts.blob !== undefined && run.waitingAt !== undefined) {
    run = await client.call('RESUME_WORKFLOW_RUN', { runId, stepId: run.waitingAt, blob: opts.blob });
  }
  return drive(client, run.definition, { ...run.inputs, ...opts.secretInputs }, run, opts.onStep);
}
