import type { Command } from 'commander';
import { ComponentModule } from 'caller-sdk';
import { clientFor, globalOptions } from './context.js';
import { writeOutput } from './output-file.js';
import { readPassphrase } from './secret-inputs.js';

export function registerAgeCommands(program: Command): void {
  const age = program.command('age').description('age identities made by the workspace');

  age
    .command('keygen')
    .description('make an age identity; you get its recipient and the identity encrypted, never in the clear (GENERATE_AGE_ENCRYPTION)')
    .option(
      '--passphrase-file <file>',
      'encrypt the identity to the passphrase on the first line of this file (stock `age ' +
        '-d` opens it); without it, the identity is sealed so only this workspace opens it',
    )
    .option('--pq', 'a post-quantum hybrid identity (ML-KEM-768 + X25519; recipient age1pq1...)')
    .option('-o, --output <file>', 'write the encrypted identity here (mode 0600; default: stdout)')
    .addHelpText(
      'after',
      '\nThe public key (recipient) is printed on stderr, as age-keygen does.\nExample:\n  wr age keygen --passphrase-file pass.txt -o escrow.key.age',
    )
    .action(async (opts: { passphraseFile?: string; pq?: boolean; output?: string }, cmd: Command) => {
      const passphrase = opts.passphraseFile ? readPassphrase(opts.passphraseFile) : undefined;
      let result;
      try {
        result = await clientFor(cmd)
          .call(ComponentModule.GENERATE_AGE_ENCRYPTION, {
            ...(passphrase ? { passphrase: passphrase.expose() } : {}),
            ...(opts.pq ? { postQuantum: true } : {}),
          })
          .promise();
      } finally {
        passphrase?.destroy();
      }
      const toFile = opts.output !== undefined && opts.output !== '-';
      if (toFile) writeOutput(opts.output, result.encryptedPrivateKey);
      if (globalOptions(cmd).json) {
        process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        return;
      }
      if (!toFile) writeOutput(undefined, result.encryptedPrivateKey);
      process.stderr.write(`Public key: ${result.publicKey}\n`);
      if (toFile) {
        const how = passphrase
          ? 'encrypted to your passphrase: `age -d` opens it'
          : 'sealed by this workspace: use it with `wr share rewrap --identity-sealed`';
        process.stdout.write(`wrote ${opts.output} (${how})\n`);
      }
    });
}
