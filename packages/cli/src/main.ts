import { Command } from 'commander';
import { registerServerCommands } from './commands/servers.js';
import { registerOperatorCommands } from './commands/operator.js';
import { exitCodeFor, printError } from './output.js';

const program = new Command('wr')
  .description('wr: a self-hostable MPC key network. Key shares move between nodes wrapped in age.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

registerServerCommands(program);
registerOperatorCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  printError(err, program.opts<{ json?: boolean }>().json ?? process.argv.includes('--json'));
  process.exitCode = exitCodeFor(err);
});
