import type { Command } from 'commander';
import { ApiKey } from 'caller-sdk';
import { resolveConnection } from './connection.js';
import { globalOptions } from './context.js';

/**
 * `wr console`: the link that signs the web console in as the API key in use, so the runs this key started
 * (`wr workflow run`) show as its own there, and go on from the page. Made here, sent nowhere.
 */
export function registerConsoleCommand(program: Command): void {
  program
    .command('console')
    .description('print a link that signs the web console in as the API key in use (as secret as the key: keep it out of shared logs)')
    .addHelpText('after', '\nThe key is in the part after #, which a browser never sends; the page keeps it as a key that signs but cannot be read back.')
    .action((_opts: unknown, cmd: Command) => {
      const { baseUrl, apiKey } = resolveConnection(globalOptions(cmd));
      const key = new ApiKey(apiKey);
      const url = key.consoleSignInLink(baseUrl);
      process.stdout.write(globalOptions(cmd).json ? JSON.stringify({ apiKeyId: key.apiKeyId, url }, null, 2) + '\n' : `${url}\n`);
    });
}
