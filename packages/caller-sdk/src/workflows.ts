import { randomUUID } from 'node:crypto';
import type { ComponentName, ComponentParams, ComponentResult, WorkflowRun } from '@wr/api';
import { WrError } from '@wr/common';
import {
  TEMPLATES,
  callThroughApprovals,
  recordedApprovals,
  recordedInputs,
  recordedTransfers,
  runWorkflow,
  validateWorkflow,
  type RunResult,
  type StepEvent,
  type TemplateName,
  type TemplateTypes,
  type WorkflowDefinition,
} from '@wr/workflow';

/** What runs a step: WorkspaceClient's own `call`, which signs it. */
interface StepCaller {
  call<C extends ComponentName>(component: C, params: ComponentParams<C>, opts?: { idempotencyKey?: string }): { promise(): Promise<ComponentResult<C>> };
}

export interface WorkflowRunOptions {
  /** Names the run; the same id resumes it (default: a fresh one). */
  runId?: string;
  /** Blobs handed in to transfer steps that wait, by step id. */
  transfers?: Record<string, string>;
  onStep?(event: StepEvent): void;
}

export interface WorkflowResumeOptions {
  /** The blob for the transfer step the run waits at (age ciphertext, moved out of band). */
  blob?: string;
  /** The transfer step the blob is for (default: the step the run waits at). */
  stepId?: string;
  /** The run's secret inputs, which its record never holds (an age identity, say). */
  secretInputs?: Record<string, unknown>;
  onStep?(event: StepEvent): void;
}

/** A run on its way: await it for where it ended (completed, or waiting), or poll its record with get(). */
export interface WorkflowRunHandle<O = Record<string, unknown>> extends PromiseLike<RunResult<O>> {
  readonly runId: string;
  /** The run's durable record, as the workspace holds it now. */
  get(): Promise<WorkflowRun>;
  /** Resolves when the run completes or waits (at a transfer or an approval); rejects with the error of a step that failed. */
  result(): Promise<RunResult<O>>;
}

/**
 * Workflows, run by this client: every step is a call it signs, so the
 * workspace relays a workflow as it relays any call, and keeps the run's
 * durable record (CREATE_WORKFLOW_RUN), which it updates as each step's call
 * (idempotency key wf.<runId>.<stepId>) goes through. A run waits at a
 * transfer step until its blob is handed in, or at a step the network's policy
 * holds for approvals (it is requested with REQUEST_APPROVAL) until admins
 * approve it; `resume` goes on from there. Steps already done are replayed
 * under their idempotency keys, never repeated.
 */
export class Workflows {
  constructor(private readonly client: StepCaller) {}

  /** The built-in templates, by name. */
  get templates(): Readonly<Record<string, WorkflowDefinition>> {
    return TEMPLATES;
  }

  /** Records the run with the workspace, then runs its steps. */
  run<N extends TemplateName>(template: N, inputs: TemplateTypes[N]['inputs'], opts?: WorkflowRunOptions): WorkflowRunHandle<TemplateTypes[N]['outputs']>;
  run(definitionOrTemplate: WorkflowDefinition | string, inputs: Record<string, unknown>, opts?: WorkflowRunOptions): WorkflowRunHandle;
  run(definitionOrTemplate: WorkflowDefinition | string, inputs: Record<string, unknown>, opts: WorkflowRunOptions = {}): WorkflowRunHandle {
    const template = typeof definitionOrTemplate === 'string' ? definitionOrTemplate : undefined;
    const definition = template !== undefined ? TEMPLATES[template] : definitionOrTemplate;
    if (!definition) {
      throw new WrError('INVALID_ARGUMENT', `no workflow template ${String(template)}: templates are ${Object.keys(TEMPLATES).join(', ')}`, {
        param: 'template',
      });
    }
    const runId = opts.runId ?? randomUUID();
    const done = (async () => {
      const def = validateWorkflow(definition);
      const run = await this.client
        .call('CREATE_WORKFLOW_RUN', {
          ...(template !== undefined ? { template } : { definition: def }),
          inputs: recordedInputs(def, inputs),
          runId,
        })
        .promise();
      return this.#drive<Record<string, unknown>>(def, inputs, runId, { ...recordedTransfers(run), ...opts.transfers }, recordedApprovals(run), opts.onStep);
    })();
    return this.#handle<Record<string, unknown>>(runId, done);
  }

  /** The run's durable record. */
  get(runId: string): Promise<WorkflowRun> {
    return this.client.call('GET_WORKFLOW_RUN', { runId }).promise();
  }

  /** Runs, newest first, a page at a time. */
  list(opts: ComponentParams<'LIST_WORKFLOW_RUNS'> = {}): Promise<ComponentResult<'LIST_WORKFLOW_RUNS'>> {
    return this.client.call('LIST_WORKFLOW_RUNS', opts).promise();
  }

  /** Goes on with a run from where its record stands: hands in a transfer's blob, takes an approved step's result, retries a failed step. */
  resume(runId: string, opts: WorkflowResumeOptions = {}): WorkflowRunHandle {
    const done = (async () => {
      let run = await this.get(runId);
      if (opts.blob !== undefined) {
        const stepId = opts.stepId ?? run.waitingAt;
        if (stepId === undefined) throw new WrError('INVALID_ARGUMENT', `stepId: run ${runId} waits at no step (${run.status})`, { param: 'stepId' });
        run = await this.client.call('RESUME_WORKFLOW_RUN', { runId, stepId, blob: opts.blob }).promise();
      }
      return this.#drive<Record<string, unknown>>(
        run.definition,
        { ...run.inputs, ...opts.secretInputs },
        runId,
        recordedTransfers(run),
        recordedApprovals(run),
        opts.onStep,
      );
    })();
    return this.#handle<Record<string, unknown>>(runId, done);
  }

  #handle<O>(runId: string, done: Promise<RunResult<O>>): WorkflowRunHandle<O> {
    done.catch(() => undefined); // a caller who only polls must not see an unhandled rejection
    return {
      runId,
      get: () => this.get(runId),
      result: () => done,
      // The handle is awaited like a promise.
      then: (onFulfilled, onRejected) => done.then(onFulfilled, onRejected),
    };
  }

  #drive<O>(
    def: WorkflowDefinition,
    inputs: Record<string, unknown>,
    runId: string,
    transfers: Record<string, string>,
    approvals: Map<string, string>,
    onStep?: (e: StepEvent) => void,
  ) {
    return runWorkflow(def, inputs, {
      runId,
      transfers,
      call: callThroughApprovals(
        (component, params, idempotencyKey) =>
          this.client.call(component, params as ComponentParams<typeof component>, { idempotencyKey }).promise() as Promise<unknown>,
        approvals,
      ),
      ...(onStep && { onStep }),
    }) as Promise<RunResult<O>>;
  }
}
