import { LIMITS, parseParams, type CallerAuth, type ComponentName, type ComponentParams, type ComponentResult } from '@wr/api';
import { WrError, codeOf, newSessionId } from '@wr/common';
import { ApiKeyRegistry, approvalRequestIdOf } from '@wr/server';
import type { CallContext, WorkspaceContext } from '../context.js';
import type { Handler, Handlers } from './types.js';

type ApprovalRequest = ComponentResult<'GET_APPROVAL_REQUEST'>;

interface Row {
  approval_request_id: string;
  requester: string;
  component: string;
  request: string;
  required: number;
  status: 'pending' | 'executed' | 'failed';
  outcome: string | null;
  created_at: string;
}

const approversOf = async (ws: WorkspaceContext, id: string): Promise<string[]> =>
  (await ws.store.all<{ approver: string }>('SELECT approver FROM approvals WHERE approval_request_id = ? ORDER BY rowid', id)).map((a) => a.approver);

/** What `outcome` holds: the result or error once the request ran; while it runs, until when it is its runner's. */
interface Outcome {
  result?: unknown;
  error?: { code: string; message: string };
  runningUntil?: number;
}

/**
 * How long a claim to run an approved request holds: past it, the runner is taken for dead (its process ended) and
 * the next approval runs the request. Longer than any component takes (a few node timeouts).
 */
const RUN_CLAIM_MS = 10 * 60_000;

async function describe(ws: WorkspaceContext, r: Row): Promise<ApprovalRequest> {
  const request = JSON.parse(r.request) as CallerAuth;
  const approvedBy = await approversOf(ws, r.approval_request_id);
  const { runningUntil: _, ...outcome } = r.outcome ? (JSON.parse(r.outcome) as Outcome) : {};
  return {
    approvalRequestId: r.approval_request_id,
    component: r.component,
    params: (JSON.parse(request.body) as { params: unknown }).params,
    requester: r.requester,
    required: r.required,
    approvedBy,
    status: r.status,
    createdAt: r.created_at,
    ...outcome,
  };
}

async function load(ws: WorkspaceContext, id: string): Promise<Row> {
  const r = await ws.store.get<Row>('SELECT * FROM approval_requests WHERE approval_request_id = ?', id);
  if (!r) throw new WrError('NOT_FOUND', `approvalRequestId: no approval request ${id} (wr approvals list shows them)`, { param: 'approvalRequestId' });
  return r;
}

/**
 * Runs an approved request as its requester: the component's own handler,
 * with the requester's signed REQUEST_APPROVAL and the approvers' signed
 * approvals handed to every node, which checks them all itself.
 */
async function execute(ws: WorkspaceContext, call: CallContext, row: Row, handlers: Handlers): Promise<void> {
  const request = JSON.parse(row.request) as CallerAuth;
  const approvals = (await ws.store.all<{ approval: string }>('SELECT approval FROM approvals WHERE approval_request_id = ?', row.approval_request_id)).map(
    (a) => JSON.parse(a.approval) as CallerAuth,
  );
  const inner = JSON.parse(request.body) as ComponentParams<'REQUEST_APPROVAL'>;
  const component = inner.component as ComponentName;
  const requester = ws.registry.signer(request.apiKeyId);
  // Approvals arriving at once (on one replica or several) each see enough of them: only the one that claims the
  // request runs it, once.
  const claimed = await ws.store.transaction(`approval request ${row.approval_request_id}`, async (tx) => {
    const current = await tx.get<Pick<Row, 'status' | 'outcome'>>(
      'SELECT status, outcome FROM approval_requests WHERE approval_request_id = ?',
      row.approval_request_id,
    );
    const running = current?.outcome ? (JSON.parse(current.outcome) as Outcome).runningUntil : undefined;
    if (current?.status !== 'pending' || (running !== undefined && running > Date.now())) return false;
    await tx.run(
      'UPDATE approval_requests SET outcome = ? WHERE approval_request_id = ?',
      JSON.stringify({ runningUntil: Date.now() + RUN_CLAIM_MS } satisfies Outcome),
      row.approval_request_id,
    );
    return true;
  });
  if (!claimed) return;
  let outcome: Outcome;
  try {
    const handler = handlers[component] as Handler<ComponentName>;
    const ctx: CallContext = { caller: requester, auth: request, approvals, requestId: call.requestId, sessionId: newSessionId() };
    outcome = { result: await handler(ws, ctx, parseParams(component, JSON.stringify(inner.params ?? {})) as never) };
  } catch (err) {
    outcome = { error: { code: codeOf(err), message: err instanceof WrError ? err.message : 'an internal error occurred' } };
  }
  await ws.store.run(
    'UPDATE approval_requests SET status = ?, outcome = ? WHERE approval_request_id = ?',
    outcome.error ? 'failed' : 'executed',
    JSON.stringify(outcome),
    row.approval_request_id,
  );
  await ws.audit.append(call.caller.apiKeyId, 'approval.execute', {
    approvalRequestId: row.approval_request_id,
    component,
    status: outcome.error ? 'failed' : 'executed',
  });
}

/** Approvals: requests held by the network policy, the admins' signed approvals of them, and their outcome. */
export function approvalComponents(
  handlers: () => Handlers,
): Pick<Handlers, 'SET_POLICY' | 'GET_POLICY' | 'REQUEST_APPROVAL' | 'APPROVE_REQUEST' | 'GET_APPROVAL_REQUEST' | 'LIST_APPROVAL_REQUESTS'> {
  return {
    async SET_POLICY(ws, call, p) {
      await ws.network.applyRegistryChange(ws.registryLog, call.auth);
      await ws.audit.append(call.caller.apiKeyId, 'policy.set', { approvals: p.approvals });
      return { approvals: ws.registry.policy() };
    },

    async GET_POLICY(ws) {
      return { approvals: ws.registry.policy() };
    },

    async REQUEST_APPROVAL(ws, call, p) {
      ApiKeyRegistry.requireScope(call.caller, p.component);
      parseParams(p.component, JSON.stringify(p.params ?? {}));
      const id = approvalRequestIdOf(call.auth);
      await ws.store.run(
        'INSERT INTO approval_requests (approval_request_id, requester, component, request, required, status, created_at)' +
          ' VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (approval_request_id) DO NOTHING',
        id,
        call.caller.apiKeyId,
        p.component,
        JSON.stringify(call.auth),
        ws.registry.requiredApprovals(p.component),
        'pending',
        new Date().toISOString(),
      );
      await ws.audit.append(call.caller.apiKeyId, 'approval.request', { approvalRequestId: id, component: p.component });
      const row = await load(ws, id);
      if (row.required === 0) await execute(ws, call, row, handlers());
      return describe(ws, await load(ws, id));
    },

    async APPROVE_REQUEST(ws, call, p) {
      const row = await load(ws, p.approvalRequestId);
      if (row.status !== 'pending') throw new WrError('CONFLICT', `approval request ${row.approval_request_id} already ran (${row.status})`);
      if (row.requester === call.caller.apiKeyId) throw new WrError('PERMISSION_DENIED', 'a requester does not approve its own request');
      await ws.store.run(
        'INSERT INTO approvals (approval_request_id, approver, approval) VALUES (?, ?, ?) ON CONFLICT (approval_request_id, approver) DO NOTHING',
        row.approval_request_id,
        call.caller.apiKeyId,
        JSON.stringify(call.auth),
      );
      await ws.audit.append(call.caller.apiKeyId, 'approval.approve', { approvalRequestId: row.approval_request_id });
      if ((await approversOf(ws, row.approval_request_id)).length >= Math.max(row.required, ws.registry.requiredApprovals(row.component)))
        await execute(ws, call, row, handlers());
      return describe(ws, await load(ws, row.approval_request_id));
    },

    async GET_APPROVAL_REQUEST(ws, call, p) {
      const row = await load(ws, p.approvalRequestId);
      if (row.requester !== call.caller.apiKeyId && !call.caller.scopes.has('admin')) {
        throw new WrError('PERMISSION_DENIED', 'only the requester, or an admin key, sees an approval request');
      }
      return describe(ws, row);
    },

    async LIST_APPROVAL_REQUESTS(ws, _call, p) {
      const limit = p.limit ?? LIMITS.pageDefault;
      // Newest first by insertion order (rowid); one more than asked tells whether another page follows.
      const before = p.cursor ? Number(p.cursor) : Number.MAX_SAFE_INTEGER;
      const rows = await (p.status
        ? ws.store.all<Row & { rowid: number }>(
            'SELECT rowid, * FROM approval_requests WHERE status = ? AND rowid < ? ORDER BY rowid DESC LIMIT ?',
            p.status,
            before,
            limit + 1,
          )
        : ws.store.all<Row & { rowid: number }>('SELECT rowid, * FROM approval_requests WHERE rowid < ? ORDER BY rowid DESC LIMIT ?', before, limit + 1));
      const page = rows.slice(0, limit);
      return { requests: await Promise.all(page.map((r) => describe(ws, r))), ...(rows.length > limit && { nextCursor: String(page[limit - 1]!.rowid) }) };
    },
  };
}
