import type { Command } from 'commander';
import type { WorkspaceClient } from 'caller-sdk';
import { connect } from './connection.js';

/** The options every operator command takes (declared once, on the program). */
export interface GlobalOptions {
  json?: boolean;
  url?: string;
  apiKey?: string;
}

export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function clientFor(cmd: Command): WorkspaceClient {
  return connect(globalOptions(cmd));
}

/** Prints a result: its JSON with --json (for scripts), otherwise the human form. */
export function printResult(cmd: Command, result: unknown, human: () => string): void {
  process.stdout.write(globalOptions(cmd).json ? JSON.stringify(result, null, 2) + '\n' : human());
}
