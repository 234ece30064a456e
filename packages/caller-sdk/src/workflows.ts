import { randomUUID } from 'node:crypto';
import type { ComponentName, ComponentParams } from '@wr/api';
import { TEMPLATES, runWorkflow, type RunResult, type StepEvent, type WorkflowDefinition } from '@wr/workflow';

/** What runs a step: WorkspaceClient's own `call`, which signs it. */
interface StepCaller {
  call<C extends ComponentName>(component: C, params: ComponentParams<C>, opts: { idempotencyKey: string }): { promise(): Promise<unknown> };
}

export interface WorkflowRunOptions {
  /** Names the run; the same id resumes it (default: a fresh one). */
  runId?: string;
  /** Blobs handed in to transfer steps that wait, by step id. */
  transfers?: Record<string, string>;
  onStep?(event: StepEvent): void;
}

/**
 * Workflows, run by this client: every step is a call it signs, so the
 * workspace relays a workflow as it relays any call. `run` returns the run's
 * outputs, or where it waits for a transfer; run it again with the same runId
 * (and the blob handed in) to resume: steps already done are replayed, never
 * repeated.
 */
export class Workflows {
  constructor(private readonly client: StepCaller) {}

  /** The built-in templates, by name. */
  get templates(): Readonly<Record<string, WorkflowDefinition>> {
    return TEMPLATES;
  }

  run(definitionOrTemplate: WorkflowDefinition | string, inputs: Record<string, unknown>, opts: WorkflowRunOptions = {}): Promise<RunResult> {
    const definition = typeof definitionOrTemplate === 'string' ? TEMPLATES[definitionOrTemplate] : definitionOrTemplate;
    if (!definition) throw new Error(`no workflow template ${String(definitionOrTemplate)}: templates are ${Object.keys(TEMPLATES).join(', ')}`);
    return runWorkflow(definition, inputs, {
      runId: opts.runId ?? randomUUID(),
      call: async (component: ComponentName, params, idempotencyKey) =>
        (await this.client.call(component, params as ComponentParams<typeof component>, { idempotencyKey }).promise()) as Record<string, unknown>,
      ...(opts.transfers && { transfers: opts.transfers }),
      ...(opts.onStep && { onStep: opts.onStep }),
    });
  }
}
