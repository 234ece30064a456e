import type { CallerAuth } from '@wr/api';
import type { Admission, ApiKeyRegistry, AuditLog, Caller, Db, HttpServer } from '@wr/server';
import type { WorkspaceConfig } from './config.js';
import type { Network } from './network.js';
import type { WorkflowRuns } from './workflow-runs.js';

export interface WorkspaceContext {
  config: WorkspaceConfig;
  db: Db;
  http: HttpServer;
  network: Network;
  registry: ApiKeyRegistry;
  audit: AuditLog;
  /** The bound on SIGN and CREATE_KEY calls (config.callLimits). */
  calls: Admission;
  /** The durable records of workflow runs. */
  workflowRuns: WorkflowRuns;
}

/** What a component handler gets for one call. */
export interface CallContext {
  caller: Caller;
  /** The caller's signed call, handed on to every node that acts on it. */
  auth: CallerAuth;
  /** Admins' signed approvals of `auth`, when it runs as an approved request. */
  approvals?: CallerAuth[];
  requestId: string;
  /** The idempotency record's session id, stable across retries of one call. */
  sessionId: string;
}

/** What a node needs to act on a call: the caller's signed call, and its approvals if any. */
export function signedBody(call: CallContext): { auth: CallerAuth; approvals?: CallerAuth[] } {
  return call.approvals ? { auth: call.auth, approvals: call.approvals } : { auth: call.auth };
}
