import { InvalidArgumentError, type Command } from 'commander';
import { APPROVABLE, ComponentModule, LIMITS, type Approvable, type ComponentResult } from 'caller-sdk';
import { table } from '../output.js';
import { clientFor, printResult } from './context.js';
import { integer } from './options.js';
import { keyValues } from './render.js';

type ApprovalRequest = ComponentResult<'GET_APPROVAL_REQUEST'>;

function component(value: string, previous: Approvable[] = []): Approvable[] {
  if (!(APPROVABLE as readonly string[]).includes(value))
    throw new InvalidArgumentError(`"${value}" cannot be held for approvals; one of ${APPROVABLE.join(', ')}`);
  return [...previous, value as Approvable];
}

function policyTable(approvals: ComponentResult<'GET_POLICY'>['approvals']): string {
  return approvals.length === 0
    ? 'no call needs approvals\n'
    : table(
        ['COMPONENT', 'APPROVALS'],
        approvals.map((a) => [a.component, String(a.approvals)]),
      );
}

function details(r: ApprovalRequest): string {
  return (
    keyValues([
      ['approval request', r.approvalRequestId],
      ['component', r.component],
      ['params', JSON.stringify(r.params)],
      ['requester', r.requester],
      ['approvals', `${r.approvedBy.length} of ${r.required}${r.approvedBy.length ? ` (${r.approvedBy.join(', ')})` : ''}`],
      ['status', r.status],
      ['created', r.createdAt],
      ...(r.error ? [['error', `${r.error.code}: ${r.error.message}`] as [string, string]] : []),
    ]) + (r.result !== undefined ? `\nresult:\n${JSON.stringify(r.result, null, 2)}\n` : '')
  );
}

export function registerApprovalCommands(program: Command): void {
  const policy = program.command('policy').description('the network policy, which every node enforces on its own');
  policy
    .command('show')
    .description('show which calls need approvals (GET_POLICY)')
    .action(async (_opts: unknown, cmd: Command) => {
      const r = await clientFor(cmd).call(ComponentModule.GET_POLICY, {}).promise();
      printResult(cmd, r, () => policyTable(r.approvals));
    });
  policy
    .command('set')
    .description('hold calls for approvals by distinct admin keys; the root admin key only (SET_POLICY)')
    .requiredOption('--approvals <n>', 'approvals each such call needs (0 lifts the rule)', integer(0, 8))
    .requiredOption('--for <component>', 'a component to hold; repeat for more', component)
    .addHelpText('after', `\nComponents: ${APPROVABLE.join(', ')}\nExample:\n  wr policy set --approvals 2 --for EXPORT_KEY_SHARE --for DELETE_KEY_SHARE`)
    .action(async (opts: { approvals: number; for: Approvable[] }, cmd: Command) => {
      const client = clientFor(cmd);
      const current = (await client.call(ComponentModule.GET_POLICY, {}).promise()).approvals.filter((a) => !opts.for.includes(a.component));
      const approvals = opts.approvals === 0 ? current : [...current, ...[...new Set(opts.for)].map((c) => ({ component: c, approvals: opts.approvals }))];
      const r = await client.call(ComponentModule.SET_POLICY, { approvals }).promise();
      printResult(cmd, r, () => policyTable(r.approvals));
    });

  const approvals = program.command('approvals').description('calls held by the policy, and their approvals');
  approvals
    .command('request')
    .description('submit a call for approvals; it runs, as you, once enough admins approve (REQUEST_APPROVAL)')
    .argument('<component>', `one of ${APPROVABLE.join(', ')}`)
    .argument('<params>', 'its parameters as JSON, e.g. \'{"keyId":"key_...","ageRecipient":"age1..."}\'')
    .action(async (name: string, params: string, _opts: unknown, cmd: Command) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(params);
      } catch {
        throw new InvalidArgumentError('params: not valid JSON');
      }
      const r = await clientFor(cmd)
        .call(ComponentModule.REQUEST_APPROVAL, { component: component(name)[0]!, params: parsed })
        .promise();
      printResult(cmd, r, () => details(r) + (r.status === 'pending' ? `\nAn admin approves it with: wr approvals approve ${r.approvalRequestId}\n` : ''));
    });
  approvals
    .command('approve')
    .description('approve a pending request with your admin key; the last approval needed runs it (APPROVE_REQUEST)')
    .argument('<approvalRequestId>', 'apr_...')
    .action(async (approvalRequestId: string, _opts: unknown, cmd: Command) => {
      const r = await clientFor(cmd).call(ComponentModule.APPROVE_REQUEST, { approvalRequestId }).promise();
      printResult(cmd, r, () => details(r));
    });
  approvals
    .command('show')
    .description('one request: its approvals, and its result once it ran (GET_APPROVAL_REQUEST)')
    .argument('<approvalRequestId>', 'apr_...')
    .action(async (approvalRequestId: string, _opts: unknown, cmd: Command) => {
      const r = await clientFor(cmd).call(ComponentModule.GET_APPROVAL_REQUEST, { approvalRequestId }).promise();
      printResult(cmd, r, () => details(r));
    });
  approvals
    .command('list')
    .description('approval requests, newest first (LIST_APPROVAL_REQUESTS)')
    .option('--pending', 'only those still waiting')
    .action(async (opts: { pending?: boolean }, cmd: Command) => {
      const r: { requests: ComponentResult<'LIST_APPROVAL_REQUESTS'>['requests'] } = { requests: [] };
      const params = { ...(opts.pending && { status: 'pending' as const }), limit: LIMITS.pageMax };
      for await (const page of clientFor(cmd).pages(ComponentModule.LIST_APPROVAL_REQUESTS, params)) r.requests.push(...page.requests);
      printResult(cmd, r, () =>
        r.requests.length === 0
          ? 'no approval requests\n'
          : table(
              ['APPROVAL REQUEST', 'COMPONENT', 'REQUESTER', 'APPROVALS', 'STATUS', 'CREATED'],
              r.requests.map((q) => [q.approvalRequestId, q.component, q.requester, `${q.approvedBy.length}/${q.required}`, q.status, q.createdAt]),
            ),
      );
    });
}
