import type { Command } from 'commander';
import { recoverFromWrappedShares } from '../offline/recover.js';
import { checkSecretDestination, writeSecretHex } from '../offline/secret-output.js';
import { globalOptions } from './context.js';
import { collect, integer, readInput } from './options.js';
import { keyValues } from './render.js';
import { readIdentities, withIdentityOptions } from './secret-inputs.js';

export function registerRecoverCommand(program: Command): void {
  withIdentityOptions(
    program
      .command('recover')
      .description("offline disaster recovery: rebuild a key's group private key from threshold-many wrapped shares of it, proven against its group public key")
      .argument('<files...>', 'wrapped shares of one key (age files), at least its threshold of distinct ones'),
  )
    .option('--exporter-key <hex>', 'also require each share to be exported by this node signing key; repeat for more', collect)
    .requiredOption('-o, --output <file>', 'where to write the group secret scalar, as hex (a new file, mode 0600; - for a pipe, never a terminal)')
    .option('--force', 'replace the -o file if it exists')
    .option('--epoch <n>', "the key's current epoch (wr backups list shows it): shares of an older epoch are refused (SHARE_STALE)", integer(0))
    .addHelpText(
      'after',
      [
        '',
        'The output is the group signing scalar, not an RFC 8032 seed: for frost-ed25519 it signs',
        'with a FROST/Ed25519 scalar signer (e.g. noble-curves ed25519_FROST.sign). Treat it as the',
        'whole key: anyone holding it signs alone. No network is used.',
        '',
        'Example:',
        '  wr recover -i alice.key -i bob.key share-1.age share-2.age -o group.key',
      ].join('\n'),
    )
    .action(
      async (
        files: string[],
        opts: { identity?: string[]; passphraseFile?: string; exporterKey?: string[]; output: string; force?: boolean; epoch?: number },
        cmd: Command,
      ) => {
        checkSecretDestination(opts.output, opts.force ?? false, process.stdout.isTTY === true);
        const identities = await readIdentities(opts.identity ?? [], opts.passphraseFile);
        let recovered;
        try {
          recovered = await recoverFromWrappedShares(
            files.map((f) => ({ name: f, bytes: readInput(f, 'files') })),
            identities,
            opts.exporterKey ?? [],
            opts.epoch !== undefined ? { currentEpoch: opts.epoch } : {},
          );
        } finally {
          identities.forEach((i) => i.destroy());
        }
        try {
          writeSecretHex(recovered.secret, opts.output, opts.force ?? false);
        } finally {
          recovered.secret.destroy();
        }
        const { secret: _secret, ...report } = recovered;
        const summary = { ...report, output: opts.output, proven: true };
        // With -o - the secret owns stdout; the report goes to stderr.
        const out = opts.output === '-' ? process.stderr : process.stdout;
        out.write(
          globalOptions(cmd).json
            ? JSON.stringify(summary, null, 2) + '\n'
            : [
                `recovered the group private key from ${report.used.length} shares (${report.minSigners} of ${report.maxSigners} needed)`,
                keyValues(
                  [
                    ['scheme', report.scheme],
                    ['epoch', `${report.epoch}${opts.epoch === undefined ? ' (pass --epoch N to refuse shares older than the key)' : ''}`],
                    ['group public key', report.groupPublicKey],
                    ['proof', 'secret × G equals the group public key'],
                    ['written to', opts.output === '-' ? 'stdout (hex)' : `${opts.output} (hex, mode 0600)`],
                    ...report.used.map((u, i): [string, string] => [i === 0 ? 'shares used' : '', `${u.file}  from ${u.source.nodeId} ${u.source.keyId}`]),
                    ...(report.duplicates.length ? [['skipped', `${report.duplicates.join(', ')} (same share again)`] as [string, string]] : []),
                  ],
                  '  ',
                ),
              ].join('\n'),
        );
      },
    );
}
