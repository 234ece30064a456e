import type { Command } from 'commander';
import { EXIT_CODES } from '../output.js';
import { registerAgeCommands } from './age.js';
import { registerApiKeyCommands } from './apikeys.js';
import { registerApprovalCommands } from './approvals.js';
import { registerAuditCommands } from './audit.js';
import { registerBackupCommands } from './backups.js';
import { CHECK_FAILED_EXIT } from './check-failed.js';
import { registerConsoleCommand } from './console.js';
import { DEV_ENV_FILE } from './connection.js';
import { registerKeyCommands } from './keys.js';
import { registerMigrateCommand } from './migrate.js';
import { registerNodeCommands } from './nodes.js';
import { registerRecoverCommand } from './recover.js';
import { registerShareCommands } from './share.js';
import { registerSignCommand } from './sign.js';
import { registerWorkflowCommands } from './workflow.js';

function exitCodeHelp(): string {
  const line = (n: number, what: string) => `  ${String(n).padStart(2)}  ${what}`;
  const byCode = Object.entries(EXIT_CODES)
    .filter(([, n]) => n > 2)
    .sort((a, b) => a[1] - b[1])
    .map(([code, n]) => line(n, code));
  return [
    '',
    'Exit codes:',
    line(0, 'success'),
    line(1, 'unexpected error (INTERNAL)'),
    line(2, 'usage error (INVALID_ARGUMENT)'),
    ...byCode,
    line(CHECK_FAILED_EXIT, 'a check failed (audit chain broken, shares that did not migrate or sign)'),
  ].join('\n');
}

/** Usage errors exit 2 (as EXIT_CODES says), help and --version exit 0. */
function usageErrorsExit2(cmd: Command): void {
  cmd.exitOverride((err) => {
    if (err.exitCode !== 0 && err.code !== 'commander.executeSubCommandAsync') throw err;
  });
  for (const sub of cmd.commands) usageErrorsExit2(sub);
}

/**
 * Every workspace component as a command, and the offline tools (share
 * inspect, recover). Global options: --json, --url, --api-key.
 */
export function registerOperatorCommands(program: Command): void {
  program
    .option('--json', 'print results as JSON on stdout, errors as JSON on stderr (for scripts)')
    .option('--url <url>', `the workspace (default: WR_BASE_URL, then ${DEV_ENV_FILE}, then http://127.0.0.1:7400)`)
    .option('--api-key <key>', `an API key (default: WR_API_KEY, then ${DEV_ENV_FILE} in this folder)`)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .addHelpText('after', exitCodeHelp());

  registerKeyCommands(program);
  registerSignCommand(program);
  registerWorkflowCommands(program);
  registerNodeCommands(program);
  registerAgeCommands(program);
  registerShareCommands(program);
  registerBackupCommands(program);
  registerApiKeyCommands(program);
  registerApprovalCommands(program);
  registerAuditCommands(program);
  registerConsoleCommand(program);
  registerMigrateCommand(program);
  registerRecoverCommand(program);
  usageErrorsExit2(program);
}
