import { readFileSync } from 'node:fs';
import { WrError } from '@wr/common';

/**
 * A server setting from, in order of precedence: the command-line flag, the
 * environment variable, the config file (JSON), the default.
 */
export function settings(flags: Record<string, unknown>, configFile: string | undefined) {
  let file: Record<string, unknown> = {};
  if (configFile) {
    try {
      file = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new WrError('INVALID_ARGUMENT', `--config: cannot read ${configFile} as JSON (${(err as Error).message})`, { param: 'config' });
    }
  }
  return function get<T>(flag: string, env: string, fallback?: T): T {
    if (flags[flag] !== undefined) return flags[flag] as T;
    const e = process.env[env];
    if (e !== undefined && e !== '') return e as T;
    if (file[flag] !== undefined) return file[flag] as T;
    if (fallback !== undefined) return fallback;
    throw new WrError(
      'INVALID_ARGUMENT',
      `missing setting: pass --${flag.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}, set ${env}, or put "${flag}" in the config file`,
      { param: flag },
    );
  };
}

export function parsePort(value: unknown, param = 'port'): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new WrError('INVALID_ARGUMENT', `--${param}: ${String(value)} is not a port number`, { param });
  return n;
}
