/**
 * The console's sign-in for `wr dev`: a fresh API key registered for the browser with the scopes its pages' calls
 * need and no other, handed over as a link whose fragment (caller-sdk's ApiKey.consoleSignInLink) the browser
 * never sends to any server. The page imports the seed as a non-extractable WebCrypto key. The key
 * of the previous `wr dev` is revoked, so restarts do not pile up live console keys.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENTS, type ComponentName, type Scope } from '@wr/api';
import { ApiKey, ComponentModule, TEMPLATES, WorkspaceClient, generateApiKey } from 'caller-sdk';
import type { LocalNetwork } from './network.js';

/**
 * Every component the console's pages call (packages/console/src; test/console.test.ts holds this list to the
 * calls the console's source makes), besides the steps of the workflow templates it runs. APPROVE_REQUEST,
 * LIST_APPROVAL_REQUESTS and the audit log's calls are admin calls: nodes count only an admin's approval.
 */
export const CONSOLE_CALLS: readonly ComponentName[] = [
  'LIST_NODES',
  'GET_NODE_RECIPIENT_KEY',
  'LIST_KEYS',
  'LIST_BACKUPS',
  'LIST_AUDIT_EVENTS',
  'VERIFY_AUDIT_LOG',
  'LIST_APPROVAL_REQUESTS',
  'APPROVE_REQUEST',
  // A workflow step the policy holds for approvals is requested, and its outcome asked for (@wr/workflow's callThroughApprovals).
  'REQUEST_APPROVAL',
  'GET_APPROVAL_REQUEST',
  'CREATE_WORKFLOW_RUN',
  'GET_WORKFLOW_RUN',
  'LIST_WORKFLOW_RUNS',
  'RESUME_WORKFLOW_RUN',
];

/** The console key's scopes: exactly those of its calls and of its templates' steps, from @wr/api's registry. */
export const CONSOLE_SCOPES: readonly Scope[] = [
  ...new Set(
    [...CONSOLE_CALLS, ...Object.values(TEMPLATES).flatMap((t) => t.steps.flatMap((s) => ('component' in s ? [s.component as ComponentName] : [])))].map(
      (c) => COMPONENTS[c].scope,
    ),
  ),
];

export async function registerConsoleKey(net: LocalNetwork): Promise<{ apiKeyId: string; url: string }> {
  const admin = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, adminPublicKey: net.adminPublicKey });
  const previousFile = join(net.dir, 'console-api-key-id');
  if (existsSync(previousFile)) {
    const previous = readFileSync(previousFile, 'utf8').trim();
    await admin
      .call(ComponentModule.REVOKE_API_KEY, { apiKeyId: previous })
      .promise()
      .catch(() => undefined); // already gone, or from another network's files: nothing to revoke
  }
  const { apiKey, apiKeyId, publicKey } = generateApiKey();
  await admin.call(ComponentModule.CREATE_API_KEY, { name: 'console (wr dev)', scopes: [...CONSOLE_SCOPES], publicKey }).promise();
  writeFileSync(previousFile, `${apiKeyId}\n`, { mode: 0o600 });
  const url = new ApiKey(apiKey).consoleSignInLink(net.baseUrl);
  appendFileSync(join(net.dir, 'dev.env'), `WR_CONSOLE_URL=${url}\n`, { mode: 0o600 });
  return { apiKeyId, url };
}
