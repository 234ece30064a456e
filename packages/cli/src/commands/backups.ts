import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ComponentModule, type ComponentResult } from 'caller-sdk';
import { WrError } from '@wr/common';
import { EXIT_CODES, table } from '../output.js';
import { clientFor, printResult } from './context.js';
import { writeOutput } from './output-file.js';
import { RECIPIENT_HELP, RECIPIENTS_FILE_HELP, readRecipients } from './recipients.js';
import { collect } from './options.js';
import { short } from './render.js';

type Backups = ComponentResult<'LIST_BACKUPS'>['backups'];

const backupTable = (backups: Backups, epoch: number) =>
  backups.length === 0
    ? 'no backups yet\n'
    : table(
        ['NODE', 'IDENTIFIER', 'EPOCH', 'CREATED'],
        backups.map((b) => [b.nodeId, short(b.identifier, 8), b.epoch < epoch ? `${b.epoch} (stale)` : String(b.epoch), b.createdAt]),
      );

export function registerBackupCommands(program: Command): void {
  const backups = program
    .command('backups')
    .description("a key's escrow backups: every holder exports its current share to the policy's recipients, again after every refresh");

  backups
    .command('set')
    .description("set a key's backup policy (SET_BACKUP_POLICY; needs keys:export): the escrow recipients every holder backs its share up to")
    .argument('<publicKey>', 'the group public key, hex')
    .option('-r, --recipient <recipient>', RECIPIENT_HELP, collect)
    .option('-R, --recipients-file <file>', RECIPIENTS_FILE_HELP, collect)
    .option('--none', 'clear the policy: no new backups (the latest ones stay listed)')
    .addHelpText('after', '\nExample:\n  wr backups set 02ab... -r age1... -r age1pq1...\n  wr backups list 02ab... --out-dir escrow/')
    .action(async (publicKey: string, opts: { recipient?: string[]; recipientsFile?: string[]; none?: boolean }, cmd: Command) => {
      if (opts.none && (opts.recipient?.length || opts.recipientsFile?.length)) {
        throw new WrError('INVALID_ARGUMENT', '--none clears the policy: pass it without -r or -R', { param: 'recipients' });
      }
      const recipients = opts.none ? [] : readRecipients(opts.recipient ?? [], opts.recipientsFile ?? []);
      const result = await clientFor(cmd).call(ComponentModule.SET_BACKUP_POLICY, { publicKey, recipients }).promise();
      printResult(cmd, { ...result, backups: result.backups.map(({ wrappedKeyShare: _w, ...b }) => b) }, () =>
        [
          recipients.length ? `backup policy of ${publicKey}: ${recipients.length} recipients` : `backup policy of ${publicKey} cleared`,
          `  epoch ${result.epoch}; every holder backs its share up again after each refresh`,
          '',
          backupTable(result.backups, result.epoch),
        ].join('\n'),
      );
    });

  backups
    .command('list')
    .description("a key's latest backups, one wrapped share per holder, and the key's epoch (LIST_BACKUPS; needs keys:read)")
    .argument('<publicKey>', 'the group public key, hex')
    .option('--out-dir <dir>', 'write each wrapped share to DIR/<node>-epoch<N>.age (mode 0600), for wr recover')
    .action(async (publicKey: string, opts: { outDir?: string }, cmd: Command) => {
      const result = await clientFor(cmd).call(ComponentModule.LIST_BACKUPS, { publicKey }).promise();
      const written: string[] = [];
      if (opts.outDir) {
        try {
          mkdirSync(opts.outDir, { recursive: true, mode: 0o700 });
        } catch (err) {
          throw new WrError('INVALID_ARGUMENT', `--out-dir: cannot make ${opts.outDir} (${(err as Error).message})`, { param: 'outDir' });
        }
        for (const b of result.backups) written.push(writeOutput(join(opts.outDir, `${b.nodeId}-epoch${b.epoch}.age`), b.wrappedKeyShare));
      }
      const stale = result.backups.filter((b) => b.epoch < result.epoch);
      printResult(cmd, { ...result, ...(opts.outDir && { files: written }) }, () =>
        [
          `backups of ${publicKey} (key epoch ${result.epoch}; recipients: ${result.recipients.length ? result.recipients.join(', ') : 'none'})`,
          '',
          backupTable(result.backups, result.epoch),
          ...(stale.length ? [`  ${stale.length} backups are older than the key's epoch: they do not recover it`] : []),
          ...(result.unavailableNodes.length ? [`  not answering: ${result.unavailableNodes.join(', ')}`] : []),
          ...(written.length
            ? ['', ...written.map((f) => `wrote ${f}`), `recover: wr recover -i ESCROW.key --epoch ${result.epoch} ${written.join(' ')} -o group.key`]
            : []),
          '',
        ].join('\n'),
      );
      if (result.unavailableNodes.length > 0) {
        process.stderr.write(`warning: ${result.unavailableNodes.join(', ')} did not answer: their backups are missing from this list\n`);
        process.exitCode = EXIT_CODES.NODE_UNAVAILABLE;
      }
    });
}
