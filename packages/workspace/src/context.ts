import type { CallerAuth } from '@wr/api';
import type { Admission, ApiKeyRegistry, Caller, HttpServer } from '@wr/server';
import type { WorkspaceAuditLog } from './audit.js';
import type { WorkspaceConfig } from './config.js';
import type { Network } from './network.js';
import type { RegistryLog } from './registry-log.js';
import type { WorkspaceStore } from './store.js';
import type { WorkflowRuns } from './workflow-runs.js';

export interface WorkspaceContext {
  config: WorkspaceConfig;
  store: WorkspaceStore;
  http: HttpServer;
  network: Network;
  registry: ApiKeyRegistry;
  /** The registry's one order, which every replica's `registry` follows. */
  registryLog: RegistryLog;
  audit: WorkspaceAuditLog;
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
  /** Commits of writes staged for this call (WorkspaceAuditLog.append): the server answers once they are on disk. */
  durable?: Promise<unknown>[];
}

/** What a node needs to act on a call: the caller's signed call, and its approvals if any. */
export function signedBody(call: CallContext): { auth: CallerAuth; approvals?: CallerAuth[] } {
  return call.approvals ? { auth: call.auth, approvals: call.approvals } : { auth: call.auth };
}
