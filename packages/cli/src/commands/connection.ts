import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WrError } from '@wr/common';
import { DEFAULT_BASE_URL, WorkspaceClient } from 'caller-sdk';

/** Where `wr dev` / `npm start` leaves the local network's URL and API key. */
export const DEV_ENV_FILE = join('.wr', 'dev.env');

export interface ConnectionFlags {
  url?: string;
  apiKey?: string;
}

export interface Connection {
  baseUrl: string;
  apiKey: string;
  /** Where the API key came from, for messages: `--api-key`, `WR_API_KEY` or the dev.env path. */
  apiKeySource: string;
}

/** KEY=VALUE lines; blank lines and `#` comments skipped; optional quotes removed. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line
      .slice(0, eq)
      .replace(/^export\s+/, '')
      .trim();
    out[key] = line
      .slice(eq + 1)
      .trim()
      .replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

function checkUrl(url: string, source: string): string {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new WrError('INVALID_ARGUMENT', `${source}: "${url}" is not an http(s) URL, e.g. http://127.0.0.1:7400`, { param: 'url' });
  }
  return url;
}

/**
 * The workspace to talk to. API key: --api-key, then WR_API_KEY, then
 * .wr/dev.env in the current folder (the local network's file). URL: --url,
 * then WR_BASE_URL, then dev.env's, then the local default.
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Connection {
  const devEnvPath = join(cwd, DEV_ENV_FILE);
  const dev = existsSync(devEnvPath) ? parseEnvFile(readFileSync(devEnvPath, 'utf8')) : undefined;
  const [apiKey, apiKeySource] = flags.apiKey
    ? [flags.apiKey, '--api-key']
    : env['WR_API_KEY']
      ? [env['WR_API_KEY'], 'WR_API_KEY']
      : [dev?.['WR_API_KEY'] ?? '', DEV_ENV_FILE];
  if (!apiKey) {
    throw new WrError(
      'UNAUTHENTICATED',
      dev
        ? `no API key: pass --api-key or set WR_API_KEY (${DEV_ENV_FILE} here has no WR_API_KEY line)`
        : `no API key: pass --api-key or set WR_API_KEY (no ${DEV_ENV_FILE} in ${cwd} either; \`wr dev\` writes one there)`,
      { param: 'apiKey' },
    );
  }
  const baseUrl = flags.url
    ? checkUrl(flags.url, '--url')
    : env['WR_BASE_URL']
      ? checkUrl(env['WR_BASE_URL'], 'WR_BASE_URL')
      : dev?.['WR_BASE_URL']
        ? checkUrl(dev['WR_BASE_URL'], DEV_ENV_FILE)
        : DEFAULT_BASE_URL;
  return { baseUrl, apiKey, apiKeySource };
}

export function connect(flags: ConnectionFlags): WorkspaceClient {
  const c = resolveConnection(flags);
  // The admin key that node recipients are checked against: WR_ADMIN_PUBLIC_KEY, or dev.env's with dev.env's API key.
  const dev = c.apiKeySource === DEV_ENV_FILE ? parseEnvFile(readFileSync(join(process.cwd(), DEV_ENV_FILE), 'utf8')) : {};
  const adminPublicKey = process.env['WR_ADMIN_PUBLIC_KEY'] || dev['WR_ADMIN_PUBLIC_KEY'];
  return new WorkspaceClient({ apiKey: c.apiKey, baseUrl: c.baseUrl, ...(adminPublicKey ? { adminPublicKey } : {}) });
}
