import type { Command } from 'commander';
import { runMigration, type MigrationSummary } from '../migrate/migrate.js';
import { retireSourceAction } from '../migrate/retire-source.js';
import { createProgress, failureLines } from '../migrate/progress.js';
import { defaultStatePath } from '../migrate/state.js';
import { table } from '../output.js';
import { CHECK_FAILED_EXIT, checkFailed } from './check-failed.js';
import { clientFor, globalOptions, printResult } from './context.js';
import { collect, integer } from './options.js';
import { keyValues } from './render.js';

function summaryText(s: MigrationSummary, deleteSource: boolean): string {
  const lines = [
    `migrate ${s.from} → ${s.to}`,
    keyValues(
      [
        ['shares', String(s.shares)],
        ['moved', String(s.moved)],
        ['already moved', String(s.alreadyMoved)],
        ['failed', String(s.failed)],
        ['skipped', s.skipped ? `${s.skipped} not exportable, left on ${s.from}` : '0'],
        ['elapsed', `${s.elapsedSeconds.toFixed(1)} s, of which moving ${s.moveSeconds.toFixed(1)} s (${s.sharesPerSecond.toFixed(1)} shares/s)`],
        [
          'signing check',
          `${s.verified} of ${s.moved + s.alreadyMoved} moved shares sign with another ` +
            `share of their key${s.verifyFailed ? ` (${s.verifyFailed} do not)` : ''}`,
        ],
        [
          'source shares',
          deleteSource ? `${s.sourceDeleted} deleted from ${s.from}` : `kept on ${s.from} (pass --delete-source to delete the ones that moved and sign)`,
        ],
        ['state file', s.stateFile],
      ],
      '  ',
    ).trimEnd(),
  ];
  if (s.skippedShares.length > 0)
    lines.push(
      'skipped',
      table(
        ['KEY ID', 'CODE', 'NOTE'],
        s.skippedShares.map((k) => [k.keyId, k.code, k.message]),
      ).trimEnd(),
    );
  return [...lines, ...failureLines(s.failures)].join('\n') + '\n';
}

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description("move key shares in bulk from one node to another (EXPORT to the target's recipient, IMPORT there), then prove each moved share signs")
    .requiredOption('--from <node>', 'the node the shares leave')
    .requiredOption('--to <node>', 'the node they move to')
    .option('--key <keyId>', 'move only this source share; repeat for more (default: every share on --from)', collect)
    .option('--concurrency <n>', 'shares in flight at once', integer(1, 64), 8)
    .option('--state <file>', 'the resumable state file (default: .wr/migrate-FROM-TO.json here, beside the local network files)')
    .option('--delete-source', 'delete each source share once its moved copy has signed')
    .option('--retire-source', 'move by resharing each key (RESHARE_KEY, --from replaced by --to) instead: the source shares, copies and backups stop working')
    .addHelpText(
      'after',
      [
        '',
        'Interrupted? Run the same command again: shares the state file lists as done are skipped,',
        'and every call carries an idempotency key per share, so nothing is imported twice.',
        'Shares created with exportable: false never leave their node: they are skipped (with a note), not failed.',
        'With --retire-source each key is reshared instead (every holder of it must be up); a rerun replays what is done.',
        `Exit code 0 when every share moved and signs, ${CHECK_FAILED_EXIT} when some did not (listed at the end).`,
        '',
        'Example:',
        '  wr migrate --from node-1 --to node-4 --concurrency 8',
      ].join('\n'),
    )
    .action(async (opts: { from: string; to: string; key?: string[]; concurrency: number; state?: string; deleteSource?: boolean }, cmd: Command) => {
      const json = globalOptions(cmd).json ?? false;
      const client = clientFor(cmd);
      const progress = createProgress({ bar: process.stderr.isTTY === true && !json });
      if ((opts as { retireSource?: boolean }).retireSource) return retireSourceAction(cmd, client, opts, progress);
      const summary = await runMigration(
        client,
        {
          from: opts.from,
          to: opts.to,
          ...(opts.key ? { keyIds: opts.key } : {}),
          concurrency: opts.concurrency,
          deleteSource: opts.deleteSource ?? false,
          statePath: opts.state ?? defaultStatePath(opts.from, opts.to),
        },
        progress,
      );
      printResult(cmd, summary, () => summaryText(summary, opts.deleteSource ?? false));
      if (summary.failures.length > 0) {
        checkFailed(
          `${summary.failures.length} share${summary.failures.length === 1 ? '' : 's'} did not finish (see failures above)`,
          'Fix the cause (a node down, a share not exportable...), then run the same command again: finished shares are skipped.',
        );
      }
    });
}
