import { InvalidArgumentError, type Command } from 'commander';
import { ComponentModule, LIMITS, SCOPES, generateApiKey, type ComponentResult, type Scope } from 'caller-sdk';
import { table } from '../output.js';
import { clientFor, printResult } from './context.js';
import { keyValues } from './render.js';

/** Repeatable --scope, each checked against the known scopes (commas also split). */
function scopeList(value: string, previous: Scope[] = []): Scope[] {
  const scopes = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of scopes) {
    if (!(SCOPES as readonly string[]).includes(s)) throw new InvalidArgumentError(`unknown scope "${s}"; expected one of ${SCOPES.join(', ')}`);
  }
  return [...previous, ...(scopes as Scope[])];
}

export function registerApiKeyCommands(program: Command): void {
  const apikeys = program.command('apikeys').description('API keys and their scopes (needs the admin scope)');

  apikeys
    .command('create')
    .description('register an API key with the given scopes (CREATE_API_KEY): a new key pair made here, or the public key its owner made')
    .requiredOption('--name <name>', 'what the key is for, e.g. "ci-signer"')
    .requiredOption('--scope <scope>', 'a scope to grant; repeat for more (see the list below)', scopeList)
    .option('--public-key <hex>', "register this public key (from `wr apikeys generate` on its owner's machine) instead of making a pair here")
    .addHelpText(
      'after',
      `\nScopes: ${SCOPES.join(', ')}\nYou can grant only scopes your own key holds.\nExample:\n ` +
        ` wr apikeys create --name ci-signer --scope keys:read --scope keys:sign`,
    )
    .action(async (opts: { name: string; scope: Scope[]; publicKey?: string }, cmd: Command) => {
      const scopes = [...new Set(opts.scope)];
      // The private half is made on this machine and never sent: the workspace and the nodes see the public half only.
      const made = opts.publicKey ? undefined : generateApiKey();
      const publicKey = opts.publicKey ?? made!.publicKey;
      const result = await clientFor(cmd).call(ComponentModule.CREATE_API_KEY, { name: opts.name, scopes, publicKey }).promise();
      printResult(
        cmd,
        { ...result, ...(made ? { apiKey: made.apiKey } : {}) },
        () =>
          keyValues([
            ['api key id', result.apiKeyId],
            ['scopes', result.scopes.join(', ')],
            ['public key', result.publicKey],
            ...(made ? [['api key', made.apiKey] as [string, string]] : []),
          ]) + (made ? '\nStore the API key now: it was made on this machine, is shown only once, and no server has it.\n' : ''),
      );
    });

  apikeys
    .command('generate')
    .description('make a new API key pair on this machine, offline; give the public key to an admin to register')
    .action((_opts: unknown, cmd: Command) => {
      const made = generateApiKey();
      printResult(
        cmd,
        made,
        () =>
          keyValues([
            ['api key id', made.apiKeyId],
            ['public key', made.publicKey],
            ['api key', made.apiKey],
          ]) +
          '\nKeep the API key (WR_API_KEY) to yourself; an admin registers the public key:\n  wr apikeys create --name NAME --scope SCOPE --public-key ' +
          made.publicKey +
          '\n',
      );
    });

  apikeys
    .command('list')
    .description('list every API key, never the key itself (LIST_API_KEYS)')
    .action(async (_opts: unknown, cmd: Command) => {
      const result: { apiKeys: ComponentResult<'LIST_API_KEYS'>['apiKeys'] } = { apiKeys: [] };
      for await (const page of clientFor(cmd).pages(ComponentModule.LIST_API_KEYS, { limit: LIMITS.pageMax })) result.apiKeys.push(...page.apiKeys);
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
