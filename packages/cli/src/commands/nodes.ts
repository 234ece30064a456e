import type { Command } from 'commander';
import { ComponentModule } from 'caller-sdk';
import { table } from '../output.js';
import { clientFor, printResult } from './context.js';
import { keyValues, short } from './render.js';

export function registerNodeCommands(program: Command): void {
  const nodes = program.command('nodes').description('the nodes of the network and their age recipients');

  nodes
    .command('list', { isDefault: true })
    .description('list every node with its status, share count and recipient (LIST_NODES; the default)')
    .option('--wide', 'show whole recipients (--json always does)')
    .action(async (opts: { wide?: boolean }, cmd: Command) => {
      const result = await clientFor(cmd).call(ComponentModule.LIST_NODES, {}).promise();
      printResult(cmd, result, () =>
        table(
          ['NODE', 'STATUS', 'SHARES', 'URL', 'RECIPIENT'],
          result.nodes.map((n) => [n.nodeId, n.status, String(n.shares), n.url, opts.wide ? n.recipientKey : short(n.recipientKey, 24)]),
        ),
      );
    });

  nodes
    .command('recipient')
    .description("show a node's age recipients: what to wrap a share to for IMPORT on that node (GET_NODE_RECIPIENT_KEY)")
    .argument('[node]', "a node id (default: the workspace's default target node)")
    .action(async (nodeId: string | undefined, _opts: unknown, cmd: Command) => {
      const result = await clientFor(cmd)
        .call(ComponentModule.GET_NODE_RECIPIENT_KEY, nodeId ? { nodeId } : {})
        .promise();
      printResult(cmd, result, () =>
        keyValues([
          ['node', result.nodeId],
          ['recipient', result.recipientKey],
          ['post-quantum', short(result.postQuantumRecipientKey, 40) + '  (whole with --json)'],
        ]),
      );
    });
}
