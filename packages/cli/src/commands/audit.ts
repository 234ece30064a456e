import type { Command } from 'commander';
import { ComponentModule, LIMITS, type ComponentResult } from 'caller-sdk';
import { streamTable, table } from '../output.js';
import { CHECK_FAILED_EXIT, checkFailed } from './check-failed.js';
import { clientFor, globalOptions, printResult } from './context.js';
import { integer } from './options.js';
import { keyValues, short } from './render.js';

/** Details on one line, long hex values shortened (--json shows them whole). */
function compactDetails(details: Record<string, unknown>): string {
  return JSON.stringify(details, (_k, v: unknown) => (typeof v === 'string' && /^[0-9a-f]{24,}$/.test(v) ? short(v, 12) : v));
}

const EVENT_COLUMNS = ['SEQ', 'AT', 'ACTOR', 'ACTION', 'DETAILS'];
const eventRow = (e: ComponentResult<'LIST_AUDIT_EVENTS'>['events'][number]) => [String(e.seq), e.at, e.actor, e.action, compactDetails(e.details)];

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the append-only audit log (needs the admin scope)');

  audit
    .command('show')
    .description('show audit events, oldest first, a page at a time (LIST_AUDIT_EVENTS)')
    .option('--after <seq>', 'only events after this sequence number', integer(0))
    .option('--limit <n>', `events per page (1-${LIMITS.pageMax})`, integer(1, LIMITS.pageMax), LIMITS.pageDefault)
    .option('--all', 'every event from --after on, printed as it comes (with --json: one JSON event per line)')
    .option('--node <id>', "that node's own log instead of the workspace's")
    .action(async (opts: { after?: number; limit: number; all?: boolean; node?: string }, cmd: Command) => {
      const client = clientFor(cmd);
      const page = (after: number | undefined) =>
        client
          .call(ComponentModule.LIST_AUDIT_EVENTS, { ...(after !== undefined && { after }), limit: opts.limit, ...(opts.node && { nodeId: opts.node }) })
          .promise();
      if (!opts.all) {
        const result = await page(opts.after);
        const last = result.events[result.events.length - 1];
        printResult(cmd, result, () =>
          result.events.length === 0
            ? 'no audit events\n'
            : table(EVENT_COLUMNS, result.events.map(eventRow)) +
              (result.events.length === opts.limit ? `more: wr audit show --after ${last!.seq} (or --all)\n` : ''),
        );
        return;
      }
      const json = globalOptions(cmd).json;
      let after = opts.after;
      let widths: number[] | undefined;
      for (;;) {
        const { events } = await page(after);
        if (json) process.stdout.write(events.map((e) => JSON.stringify(e) + '\n').join(''));
        else if (events.length > 0) {
          const out = streamTable(EVENT_COLUMNS, events.map(eventRow), widths);
          widths = out.widths;
          process.stdout.write(out.text);
        }
        if (events.length < opts.limit) break;
        after = events[events.length - 1]!.seq;
      }
      if (!json && widths === undefined) process.stdout.write('no audit events\n');
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
