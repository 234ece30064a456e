import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkspaceClient } from 'caller-sdk';
import { startLocalNetwork, type LocalNetwork } from '../src/dev/network.js';

/** The repository root, from packages/cli/dist/test. */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const WR_BIN = join(ROOT, 'packages', 'cli', 'bin', 'wr.js');

/** A scratch folder under the repository's .tmp/. */
export function scratchDir(name: string): string {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  return mkdtempSync(join(ROOT, '.tmp', `cli-${name}-`));
}

export interface CliNetwork {
  net: LocalNetwork;
  /** A folder whose .wr/ is the network's: `wr` run here finds .wr/dev.env. */
  home: string;
  /** WR_BASE_URL and WR_API_KEY, as a user would export them. */
  env: { WR_BASE_URL: string; WR_API_KEY: string };
  client: WorkspaceClient;
  stop(): Promise<void>;
}

/** A real local network (a workspace and four nodes, separate processes), its files in `<home>/.wr`. */
export async function startCliNetwork(name: string): Promise<CliNetwork> {
  const home = scratchDir(name);
  const net = await startLocalNetwork({ dir: join(home, '.wr'), port: 0 });
  return {
    net,
    home,
    env: { WR_BASE_URL: net.baseUrl, WR_API_KEY: net.apiKey },
    client: new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl }),
    stop: async () => {
      await net.stop();
      if (!process.env['KEEP_TMP']) rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface WrResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface WrOptions {
  /** The whole environment besides PATH and HOME: nothing leaks in from the test runner's. */
  env?: Record<string, string>;
  cwd?: string;
  input?: string | Uint8Array;
}

/** Runs `wr ...` as a user would: a separate process, its output and exit code. */
export function wr(args: string[], opts: WrOptions = {}): Promise<WrResult> {
  const child = spawn(process.execPath, [WR_BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => undefined); // a command that exits without reading its input
  child.stdin.end(opts.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs `wr ... --json`, checks it succeeded, and parses stdout. */
export async function wrJson<T = Record<string, unknown>>(args: string[], opts: WrOptions = {}): Promise<T> {
  const r = await wr([...args, '--json'], opts);
  if (r.code !== 0) throw new Error(`wr ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Runs a shell tool (age, age-keygen) and returns stdout; throws on failure. */
export function tool(cmd: string, args: string[], input?: string | Uint8Array): Promise<string> {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => undefined);
  child.stdin.end(input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}
