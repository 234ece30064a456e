import type { Command } from 'commander';
import { ComponentModule } from 'caller-sdk';
import { table } from '../output.js';
import { CHECK_FAILED_EXIT, checkFailed } from './check-failed.js';
import { clientFor, printResult } from './context.js';
import { integer } from './options.js';
import { keyValues, short } from './render.js';

/** Details on one line, long hex values shortened (--json shows them whole). */
function compactDetails(details: Record<string, unknown>): string {
  return JSON.stringify(details, (_k, v: unknown) => (typeof v === 'string' && /^[0-9a-f]{24,}$/.test(v) ? short(v, 12) : v));
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the append-only audit log (needs the admin scope)');

  audit
    .command('show')
    .description('show audit events, oldest first (LIST_AUDIT_EVENTS)')
    .option('--after <seq>', 'only events after this sequence number', integer(0))
    .option('--limit <n>', 'at most this many events (1-1000)', integer(1, 1000))
    .option('--node <id>', "that node's own log instead of the workspace's")
    .action(async (opts: { after?: number; limit?: number; node?: string }, cmd: Command) => {
      const params = {
        ...(opts.after !== undefined ? { after: opts.after } : {}),
        ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
        ...(opts.node ? { nodeId: opts.node } : {}),
      };
      const result = await clientFor(cmd).call(ComponentModule.LIST_AUDIT_EVENTS, params).promise();
      printResult(cmd, result, () =>
        result.events.length === 0
          ? 'no audit events\n'
          : table(
              ['SEQ', 'AT', 'ACTOR', 'ACTION', 'DETAILS'],
              result.events.map((e) => [String(e.seq), e.at, e.actor, e.action, compactDetails(e.details)]),
            ),
      );
    });

  audit
    .command('verify')
    .description(`check the audit log's keyed chain and signed head; exit code ${CHECK_FAILED_EXIT} if it is broken (VERIFY_AUDIT_LOG)`)
    .option('--node <id>', "check that node's own log instead of the workspace's")
    .action(async (opts: { node?: string }, cmd: Command) => {
      const result = await clientFor(cmd)
        .call(ComponentModule.VERIFY_AUDIT_LOG, opts.node ? { nodeId: opts.node } : {})
        .promise();
      printResult(cmd, result, () =>
        result.ok
          ? `audit log intact: ${result.entries} entries, head hash ${result.headHash}\n`
          : keyValues([
              ['audit log', 'BROKEN'],
              ['entries', String(result.entries)],
              ['first bad entry', result.firstBadSeq === undefined ? 'unknown' : `seq ${result.firstBadSeq}`],
              ['problem', result.problem ?? 'unknown'],
            ]),
      );
      if (!result.ok) {
        checkFailed(
          `the audit log's hash chain is broken${result.firstBadSeq === undefined ? '' : ` at seq ${result.firstBadSeq}`}: ` +
            `${result.problem ?? 'unknown problem'}`,
          'An entry was changed or removed after it was written: keep the database as evidence and compare it with a backup.',
        );
      }
    });
}
