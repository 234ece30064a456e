import { Option, type Command } from 'commander';
import { WrError, isHex } from '@wr/common';
import { ComponentModule } from 'caller-sdk';
import { clientFor, printResult } from './context.js';
import { collect, readInput } from './options.js';
import { keyValues } from './render.js';

function messageHex(opts: { message?: string; messageFile?: string }): string {
  if (opts.messageFile !== undefined) return readInput(opts.messageFile, '--message-file').toString('hex');
  const hex = opts.message!.replace(/^0x/i, '').toLowerCase();
  if (!isHex(hex)) {
    throw new WrError('INVALID_ARGUMENT', '--message: expected hex (an even number of 0-9a-f digits); for raw bytes use --message-file', { param: 'message' });
  }
  return hex;
}

export function registerSignCommand(program: Command): void {
  program
    .command('sign')
    .description('sign a message with a quorum of shares of one key (SIGN)')
    .requiredOption('--key <keyId>', 'a share to sign with; repeat once per share (distinct participants)', collect)
    .addOption(new Option('--message <hex>', 'the message, as hex').conflicts('messageFile'))
    .addOption(new Option('--message-file <file>', 'the message: the raw bytes of this file (- for stdin)'))
    .addHelpText('after', '\nExample:\n  wr sign --key key_aaa... --key key_bbb... --message 68656c6c6f')
    .action(async (opts: { key: string[]; message?: string; messageFile?: string }, cmd: Command) => {
      if (opts.message === undefined && opts.messageFile === undefined) {
        throw new WrError('INVALID_ARGUMENT', 'pass the message: --message HEX or --message-file FILE', { param: 'message' });
      }
      const result = await clientFor(cmd)
        .call(ComponentModule.SIGN, { keyIds: opts.key, message: messageHex(opts) })
        .promise();
      printResult(cmd, result, () =>
        keyValues([
          ['signature', result.signature],
          ['public key', result.publicKey],
        ]),
      );
    });
}
