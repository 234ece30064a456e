import { InvalidArgumentError, type Command } from 'commander';
import { ComponentModule, SCOPES, type Scope } from 'caller-sdk';
import { table } from '../output.js';
import { clientFor, printResult } from './context.js';
import { keyValues } from './render.js';

/** Repeatable --scope, each checked against the known scopes (commas also split). */
function scopeList(value: string, previous: Scope[] = []): Scope[] {
  const scopes = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const s of scopes) {
    if (!(SCOPES as readonly string[]).includes(s)) throw new InvalidArgumentError(`unknown scope "${s}"; expected one of ${SCOPES.join(', ')}`);
  }
  return [...previous, ...(scopes as Scope[])];
}

export function registerApiKeyCommands(program: Command): void {
  const apikeys = program.command('apikeys').description('API keys and their scopes (needs the admin scope)');

  apikeys
    .command('create')
    .description('create an API key with the given scopes; the key is shown once (CREATE_API_KEY)')
    .requiredOption('--name <name>', 'what the key is for, e.g. "ci-signer"')
    .requiredOption('--scope <scope>', 'a scope to grant; repeat for more (see the list below)', scopeList)
    .addHelpText('after', `\nScopes: ${SCOPES.join(', ')}\nExample:\n  wr apikeys create --name ci-signer --scope keys:read --scope keys:sign`)
    .action(async (opts: { name: string; scope: Scope[] }, cmd: Command) => {
      const scopes = [...new Set(opts.scope)];
      const result = await clientFor(cmd).call(ComponentModule.CREATE_API_KEY, { name: opts.name, scopes }).promise();
      printResult(cmd, result, () =>
        keyValues([
          ['api key id', result.apiKeyId],
          ['scopes', result.scopes.join(', ')],
          ['api key', result.apiKey],
        ]) + '\nStore the API key now: it is shown only once.\n',
      );
    });

  apikeys
    .command('list')
    .description('list every API key, never the key itself (LIST_API_KEYS)')
    .action(async (_opts: unknown, cmd: Command) => {
      const result = await clientFor(cmd).call(ComponentModule.LIST_API_KEYS, {}).promise();
      printResult(cmd, result, () =>
        table(
          ['ID', 'NAME', 'SCOPES', 'CREATED', 'REVOKED'],
          result.apiKeys.map((k) => [k.apiKeyId, k.name, k.scopes.join(','), k.createdAt, k.revoked ? 'yes' : 'no']),
        ),
      );
    });

  apikeys
    .command('revoke')
    .description('revoke an API key: calls made with it fail from now on (REVOKE_API_KEY)')
    .argument('<apiKeyId>', 'an API key id, ak_...')
    .action(async (apiKeyId: string, _opts: unknown, cmd: Command) => {
      const result = await clientFor(cmd).call(ComponentModule.REVOKE_API_KEY, { apiKeyId }).promise();
      printResult(cmd, result, () => `revoked API key ${result.apiKeyId}\n`);
    });
}
