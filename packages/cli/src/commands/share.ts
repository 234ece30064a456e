import type { Command } from 'commander';
import { ComponentModule } from 'caller-sdk';
import { clientFor, globalOptions, printResult } from './context.js';
import { registerInspectCommand } from './inspect.js';
import { RECIPIENT_HELP, RECIPIENTS_FILE_HELP, readRecipients } from './recipients.js';
import { registerRewrapCommand } from './share-rewrap.js';
import { collect, readTextInput } from './options.js';
import { writeOutput } from './output-file.js';
import { keyValues } from './render.js';

export function registerShareCommands(program: Command): void {
  const share = program.command('share').description('move key shares as age files: export, import, rewrap, inspect');

  share
    .command('export')
    .description('export a key share as an age file wrapped to recipients (EXPORT_KEY_SHARE; needs keys:export)')
    .argument('<keyId>', 'the share to export, key_...')
    .option('-r, --recipient <recipient>', RECIPIENT_HELP, collect)
    .option('-R, --recipients-file <file>', RECIPIENTS_FILE_HELP, collect)
    .option('-o, --output <file>', 'write the age file here (mode 0600; default: stdout)')
    .addHelpText(
      'after',
      '\nExamples:\n  wr share export key_... -r "$(wr nodes recipient node-4 --json | jq -r ' +
        '.recipientKey)" -o share.age\n  wr share export key_... -R escrow-recipients.txt > share.age',
    )
    .action(async (keyId: string, opts: { recipient?: string[]; recipientsFile?: string[]; output?: string }, cmd: Command) => {
      const recipients = readRecipients(opts.recipient ?? [], opts.recipientsFile ?? []);
      const result = await clientFor(cmd)
        .call(ComponentModule.EXPORT_KEY_SHARE, { keyId, ageRecipient: recipients.length === 1 ? recipients[0]! : recipients })
        .promise();
      const toFile = opts.output !== undefined && opts.output !== '-';
      if (toFile) writeOutput(opts.output, result.wrappedKeyShare);
      if (!toFile && !globalOptions(cmd).json) return void writeOutput(undefined, result.wrappedKeyShare);
      printResult(
        cmd,
        result,
        () => `wrote ${opts.output}: key share ${keyId} wrapped to ${recipients.length} recipient${recipients.length === 1 ? '' : 's'}\n`,
      );
    });

  share
    .command('import')
    .description('import a wrapped key share into a node; gives a new keyId there (IMPORT_KEY_SHARE; needs keys:import)')
    .argument('<file>', 'the age file (- for stdin)')
    .option('--node <id>', "the node to import into; the file must be wrapped to its recipient (default: the workspace's default target node)")
    .action(async (file: string, opts: { node?: string }, cmd: Command) => {
      const wrappedKeyShare = readTextInput(file, 'file');
      const result = await clientFor(cmd)
        .call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare, ...(opts.node ? { nodeId: opts.node } : {}) })
        .promise();
      printResult(
        cmd,
        result,
        () =>
          (result.alreadyPresent
            ? `${result.nodeId} already held this share; its keyId is ${result.keyId}\n`
            : `imported into ${result.nodeId} as ${result.keyId}\n`) +
          keyValues(
            [
              ['key id', result.keyId],
              ['node', result.nodeId],
              ['public key', result.publicKey],
              ['scheme', result.scheme],
              ['identifier', result.identifier],
            ],
            '  ',
          ),
      );
    });

  registerRewrapCommand(share);
  registerInspectCommand(share);
}
