import { Option, type Command } from 'commander';
import { ComponentModule, LIMITS, SCHEMES, type ComponentResult } from 'caller-sdk';
import { EXIT_CODES, streamTable, table } from '../output.js';
import { clientFor, globalOptions, printResult } from './context.js';
import { integer, parseList } from './options.js';
import { keyValues, short } from './render.js';

type KeyInfo = ComponentResult<'GET_KEY'>;

const KEY_COLUMNS = ['KEY ID', 'NODE', 'PUBLIC KEY', 'SCHEME', 'T/N', 'IDENTIFIER', 'ORIGIN', 'EXPORTABLE'];
const keyRow = (k: KeyInfo) => [
  k.keyId,
  k.nodeId,
  short(k.publicKey),
  k.scheme,
  `${k.threshold}/${k.maxSigners}`,
  short(k.identifier, 8),
  k.origin,
  k.exportable ? 'yes' : 'no',
];

export function keyTable(keys: KeyInfo[]): string {
  return keys.length === 0 ? 'no key shares\n' : table(KEY_COLUMNS, keys.map(keyRow));
}

/** The shares a key was made or remade with, one row each. */
const sharesTable = (shares: { nodeId: string; keyId: string; identifier: string }[]) =>
  table(
    ['NODE', 'KEY ID', 'IDENTIFIER'],
    shares.map((s) => [s.nodeId, s.keyId, s.identifier]),
  );

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
    ['epoch', String(k.epoch)],
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
          sharesTable(result.shares),
        ].join('\n'),
      );
    });

  keys
    .command('list')
    .description('list the key shares of every node, or of one, a page at a time (LIST_KEYS)')
    .option('--node <id>', 'only the shares held by this node')
    .option('--limit <n>', `shares per page (1 to ${LIMITS.pageMax})`, integer(1, LIMITS.pageMax), LIMITS.pageDefault)
    .option('--cursor <keyId>', 'the page after this key id (the nextCursor of the page before)')
    .option('--all', 'every page, printed as it comes (with --json: one JSON key per line)')
    .addHelpText('after', '\nA node that does not answer is named in a warning, and the exit code is then 13: its shares are missing from the list.')
    .action(async (opts: { node?: string; limit: number; cursor?: string; all?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const params = { ...(opts.node && { nodeId: opts.node }), limit: opts.limit, ...(opts.cursor && { cursor: opts.cursor }) };
      const json = globalOptions(cmd).json;
      const unavailable = new Set<string>();
      if (!opts.all) {
        const page = await client.call(ComponentModule.LIST_KEYS, params).promise();
        page.unavailableNodes.forEach((n) => unavailable.add(n));
        printResult(cmd, page, () => keyTable(page.keys) + (page.nextCursor ? `more: wr keys list --cursor ${page.nextCursor} (or --all)\n` : ''));
      } else {
        let widths: number[] | undefined;
        let count = 0;
        for await (const page of client.pages(ComponentModule.LIST_KEYS, params)) {
          page.unavailableNodes.forEach((n) => unavailable.add(n));
          count += page.keys.length;
          if (json) process.stdout.write(page.keys.map((k) => JSON.stringify(k) + '\n').join(''));
          else if (page.keys.length > 0) {
            const out = streamTable(KEY_COLUMNS, page.keys.map(keyRow), widths);
            widths = out.widths;
            process.stdout.write(out.text);
          }
        }
        if (!json && count === 0) process.stdout.write('no key shares\n');
      }
      if (unavailable.size > 0) {
        const names = [...unavailable].join(', ');
        process.stderr.write(
          `warning: ${names} did not answer: ${unavailable.size === 1 ? 'its' : 'their'} shares are missing from this list (wr nodes shows which are down)\n`,
        );
        process.exitCode = EXIT_CODES.NODE_UNAVAILABLE;
      }
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
    .command('refresh')
    .description('refresh every share of a key: same public key, new shares at the next epoch; older shares and wrapped copies stop working (REFRESH_KEY)')
    .argument('<publicKey>', 'the group public key, hex')
    .action(async (publicKey: string, _opts: unknown, cmd: Command) => {
      const result = await clientFor(cmd).call(ComponentModule.REFRESH_KEY, { publicKey }).promise();
      printResult(cmd, result, () =>
        [
          `refreshed key ${result.publicKey}`,
          `  epoch ${result.epoch}, ${result.shares.length} shares; wrapped copies of older epochs are refused at import (SHARE_STALE)`,
          '',
          sharesTable(result.shares),
        ].join('\n'),
      );
    });

  keys
    .command('reshare')
    .description('move a key to other nodes and/or another threshold: same public key, new shares at the next epoch; the old shares are retired (RESHARE_KEY)')
    .argument('<publicKey>', 'the group public key, hex')
    .requiredOption('--threshold <n>', 'the new threshold', (v) => Number.parseInt(v, 10))
    .requiredOption('--nodes <ids>', 'the new holders, comma-separated node ids', (v) => v.split(',').map((s) => s.trim()))
    .action(async (publicKey: string, opts: { threshold: number; nodes: string[] }, cmd: Command) => {
      const result = await clientFor(cmd).call(ComponentModule.RESHARE_KEY, { publicKey, threshold: opts.threshold, nodeIds: opts.nodes }).promise();
      printResult(cmd, result, () =>
        [
          `reshared key ${result.publicKey}`,
          `  ${opts.threshold}-of-${result.shares.length} at epoch ${result.epoch}; older shares and wrapped copies are refused (SHARE_STALE)`,
          '',
          sharesTable(result.shares),
        ].join('\n'),
      );
    });

  keys
    .command('repair')
    .description('rebuild a lost share (its identifier) on a node that holds none of the key, from a quorum of the other holders (REPAIR_KEY_SHARE)')
    .argument('<publicKey>', 'the group public key, hex')
    .requiredOption('--identifier <hex>', 'the FROST identifier of the lost share')
    .requiredOption('--node <id>', 'the node to rebuild it on')
    .action(async (publicKey: string, opts: { identifier: string; node: string }, cmd: Command) => {
      const result = await clientFor(cmd).call(ComponentModule.REPAIR_KEY_SHARE, { publicKey, identifier: opts.identifier, nodeId: opts.node }).promise();
      printResult(cmd, result, () => `repaired participant ${result.identifier} of ${publicKey} on ${result.nodeId} as ${result.keyId}\n`);
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
