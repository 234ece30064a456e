import type { Command } from 'commander';
import { WrError } from '@wr/common';
import { ComponentModule } from 'caller-sdk';
import { clientFor, globalOptions } from './context.js';
import { collect, readTextInput } from './options.js';
import { writeOutput } from './output-file.js';
import { RECIPIENT_HELP, RECIPIENTS_FILE_HELP, readRecipients } from './recipients.js';
import { readIdentities, withIdentityOptions } from './secret-inputs.js';

interface RewrapOptions {
  identity?: string[];
  identitySealed?: string;
  passphraseFile?: string;
  recipient?: string[];
  recipientsFile?: string[];
  output?: string;
  identityOut?: string;
}

/** What REWRAPPING_KEY_SHARE's ageIdentity gets: the -i files' identities, or the sealed identity file as is. */
async function identityParam(opts: RewrapOptions): Promise<string> {
  const files = opts.identity ?? [];
  if (files.length > 0 === (opts.identitySealed !== undefined)) {
    throw new WrError('INVALID_ARGUMENT', 'pass exactly one of -i IDENTITY_FILE and --identity-sealed FILE', { param: 'ageIdentity' });
  }
  if (opts.identitySealed !== undefined) return readTextInput(opts.identitySealed, '--identity-sealed');
  const identities = await readIdentities(files, opts.passphraseFile);
  try {
    return identities.map((i) => i.expose()).join('\n') + '\n';
  } finally {
    identities.forEach((i) => i.destroy());
  }
}

async function rewrap(file: string, opts: RewrapOptions, cmd: Command): Promise<void> {
  const json = globalOptions(cmd).json ?? false;
  const wantsRecipients = (opts.recipient?.length ?? 0) + (opts.recipientsFile?.length ?? 0) > 0;
  const recipients = wantsRecipients ? readRecipients(opts.recipient ?? [], opts.recipientsFile ?? []) : undefined;
  if (!recipients && opts.identityOut === undefined && !json) {
    throw new WrError(
      'INVALID_ARGUMENT',
      'no -r/-R: the share would be rewrapped to a fresh identity; pass --identity-out FILE to keep that identity, or -r RECIPIENT',
      {
        param: 'ageRecipient',
      },
    );
  }
  const wrappedKeyShare = readTextInput(file, 'file');
  const ageIdentity = await identityParam(opts);
  const result = await clientFor(cmd)
    .call(ComponentModule.REWRAPPING_KEY_SHARE, {
      ageIdentity,
      wrappedKeyShare,
      ...(recipients ? { ageRecipient: recipients.length === 1 ? recipients[0]! : recipients } : {}),
    })
    .promise();

  if (result.encryptedPrivateKey && opts.identityOut !== undefined) writeOutput(opts.identityOut, result.encryptedPrivateKey);
  const toFile = opts.output !== undefined && opts.output !== '-';
  if (toFile) writeOutput(opts.output, result.rewrappedKeyShare);
  if (json) return void process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  if (!toFile) writeOutput(undefined, result.rewrappedKeyShare);
  const notes = [
    ...(toFile ? [`wrote ${opts.output}: the share rewrapped to ${recipients ? `${recipients.length} recipient(s)` : result.publicKey}`] : []),
    ...(result.publicKey ? [`fresh identity ${result.publicKey}, sealed by this workspace, in ${opts.identityOut}`] : []),
  ];
  // Notes go to stderr when stdout carries the age file.
  if (notes.length > 0) (toFile ? process.stdout : process.stderr).write(notes.join('\n') + '\n');
}

export function registerRewrapCommand(share: Command): void {
  withIdentityOptions(
    share
      .command('rewrap')
      .description('re-encrypt a wrapped share from one age identity to other recipients, inside the workspace (REWRAPPING_KEY_SHARE)')
      .argument('<file>', 'the wrapped share (- for stdin)'),
  )
    .option('--identity-sealed <file>', 'instead of -i: an identity sealed by this workspace (`wr age keygen` without a passphrase, or --identity-out)')
    .option('-r, --recipient <recipient>', RECIPIENT_HELP, collect)
    .option('-R, --recipients-file <file>', RECIPIENTS_FILE_HELP, collect)
    .option('-o, --output <file>', 'write the rewrapped age file here (mode 0600; default: stdout)')
    .option('--identity-out <file>', 'without -r/-R: where to write the fresh identity the share is rewrapped to (sealed by this workspace)')
    .addHelpText('after', '\nExample:\n  wr share rewrap share.age -i alice.key -r "$(age-keygen -y bob.key)" -o share-for-bob.age')
    .action(rewrap);
}
