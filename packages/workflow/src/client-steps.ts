/**
 * What a client that drives runs (the SDK, the web console) needs besides runWorkflow: each step's call made
 * through the network's approval policy, and where a run's record says it stands (the blobs handed in, the
 * approval request each step went through), so that resuming it from the record goes on where it stopped.
 */
import type { ComponentName, WorkflowRun } from '@wr/api';
import { WrError, isErrorCode } from '@wr/common';

import { StepWaitsForApproval, stepIdempotencyKey, type RunOptions } from './run.js';

/** One call of a component under an idempotency key, signed by the client that drives the run; its result. */
export type SignedCall = (component: ComponentName, params: Record<string, unknown>, idempotencyKey: string) => Promise<unknown>;

type RecordedSteps = Pick<WorkflowRun, 'runId' | 'steps'>;

/** The blob of each transfer step the record holds as done (handed in, or passed on), by step id. */
export const recordedTransfers = (run: RecordedSteps): Record<string, string> =>
  Object.fromEntries(run.steps.filter((s) => s.component === 'transfer' && s.blob !== undefined).map((s) => [s.stepId, s.blob!]));

/** The approval request each step went through, by the step's idempotency key: its outcome is asked for, not the call again. */
export const recordedApprovals = (run: RecordedSteps): Map<string, string> =>
  new Map(run.steps.filter((s) => s.approvalRequestId !== undefined).map((s) => [stepIdempotencyKey(run.runId, s.stepId), s.approvalRequestId!]));

interface ApprovalOutcome {
  approvalRequestId: string;
  status: string;
  result?: unknown;
  error?: { code: string; message: string } | undefined;
}

/**
 * runWorkflow's `call` for a client: a call the policy holds for approvals (APPROVAL_REQUIRED) is requested with
 * REQUEST_APPROVAL under the step's own idempotency key, and the run waits at the step (StepWaitsForApproval) until
 * admins approve it; a step that went through a request (`approvals`, from the record) asks for that request's
 * outcome, never the call again (after the policy changes, a direct call under the step's key would be CONFLICT).
 */
export function callThroughApprovals(call: SignedCall, approvals: ReadonlyMap<string, string> = new Map()): RunOptions['call'] {
  return async (component, params, idempotencyKey) => {
    let approvalRequestId = approvals.get(idempotencyKey);
    if (approvalRequestId === undefined) {
      try {
        return (await call(component, params, idempotencyKey)) as Record<string, unknown>;
      } catch (err) {
        if ((err as { code?: unknown } | null)?.code !== 'APPROVAL_REQUIRED') throw err;
      }
      const requested = (await call('REQUEST_APPROVAL', { component, params }, idempotencyKey)) as ApprovalOutcome;
      approvalRequestId = requested.approvalRequestId;
    }
    // Asked under the step's key, so the run's record follows: a replayed request is as it was then, this is as it is now.
    const now = (await call('GET_APPROVAL_REQUEST', { approvalRequestId }, idempotencyKey)) as ApprovalOutcome;
    if (now.status === 'executed') return now.result as Record<string, unknown>;
    if (now.status === 'failed') {
      throw new WrError(isErrorCode(now.error?.code) ? now.error.code : 'INTERNAL', now.error?.message ?? `approval request ${now.approvalRequestId} failed`);
    }
    throw new StepWaitsForApproval(now.approvalRequestId);
  };
}
