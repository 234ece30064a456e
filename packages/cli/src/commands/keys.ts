import { Option, type Command } from 'commander';
import { ComponentModule, SCHEMES, type ComponentResult } from 'caller-sdk';
import { table } from '../output.js';
import { clientFor, printResult } from './context.js';
import { integer, parseList } from './options.js';
import { keyValues, short } from './render.js';

type KeyInfo = ComponentResult<'GET_KEY'>;

export function keyTable(keys: KeyInfo[]): string {
  if (keys.length === 0) return 'no key shares\n';
  return table(
    ['KEY ID', 'NODE', 'PUBLIC KEY', 'SCHEME', 'T/N', 'IDENTIFIER', 'ORIGIN', 'EXPORTABLE'],
    keys.map((k) => [k.keyId, k.nodeId, short(k.publicKey), k.scheme, `${k.threshold}/${k.maxSigners}`, short(k.identifier, 8), k.origin, k.exportable ? 'yes' : 'no']),
  );
}

function keyDetails(k: KeyInfo): string {
  return keyValues([
    ['key id', k.keyId],
    ['node', k.nodeId],
    ['public key', k.publicKey],
    ['scheme', k.scheme],
    ['threshold', `${k.threshold} of ${k.maxSigners}`],
    ['identifier', k.identifier],
    ['origin', k.origin],
    ['exportable', k.exportable ? 'yes' : 'no'],
    ['created', k.createdAt],
  ]);
}

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('create, list, show and delete threshold keys and their shares');

  keys
    .command('create')
    .description('create a threshold key by distributed key generation across nodes (CREATE_KEY)')
    .addOption(new Option('--scheme <scheme>', 'signature scheme').choices([...SCHEMES]).default('frost-ed25519'))
    .requiredOption('--threshold <n>', 'how many shares it takes to sign', integer(2, 16))
    .option('--nodes <ids>', 'comma-separated nodes that each get a share (default: every node)', parseList)
    .option('--no-exportable', 'the shares can never leave their nodes (EXPORT_KEY_SHARE refuses them)')
    .addHelpText('after', '\nExample:\n  wr keys create --scheme frost-ed25519 --threshold 2 --nodes node-1,node-2,node-3')
    .action(async (opts: { scheme: (typeof SCHEMES)[number]; threshold: number; nodes?: string[]; exportable: boolean }, cmd: Command) => {
      const result = await clientFor(cmd)
        .call(ComponentModule.CREATE_KEY, {
          scheme: opts.scheme,
          threshold: opts.threshold,
          ...(opts.nodes ? { nodeIds: opts.nodes } : {}),
          exportable: opts.exportable,
        })
        .promise();
      printResult(cmd, result, () =>
        [
          `created key ${result.publicKey}`,
          `  ${result.scheme}, ${result.threshold} of ${result.shares.length} shares, ${opts.exportable ? 'exportable' : 'not exportable'}`,
          '',
          table(['NODE', 'KEY ID', 'IDENTIFIER'], result.shares.map((s) => [s.nodeId, s.keyId, s.identifier])),
        ].join('\n'),
      );
    });

  keys
    .command('list')
    .description('list the key shares of every node, or of one (LIST_KEYS)')
    .option('--node <id>', 'only the shares held by this node')
    .action(async (opts: { node?: string }, cmd: Command) => {
      const result = await clientFor(cmd).call(ComponentModule.LIST_KEYS, opts.node ? { nodeId: opts.node } : {}).promise();
      printResult(cmd, result, () => keyTable(result.keys));
    });

  keys
    .command('get')
    .description('show one key share: its node, group public key, scheme and identifier (GET_KEY)')
    .argument('<keyId>', 'a key share id, key_...')
    .action(async (keyId: string, _opts: unknown, cmd: Command) => {
      const result = await clientFor(cmd).call(ComponentModule.GET_KEY, { keyId }).promise();
      printResult(cmd, result, () => keyDetails(result));
    });

  keys
    .command('delete')
    .description('delete one key share from its node, for good (DELETE_KEY_SHARE)')
    .argument('<keyId>', 'a key share id, key_...')
    .action(async (keyId: string, _opts: unknown, cmd: Command) => {
      const result = await clientFor(cmd).call(ComponentModule.DELETE_KEY_SHARE, { keyId }).promise();
      printResult(cmd, result, () => `deleted key share ${result.keyId}\n`);
    });
}
