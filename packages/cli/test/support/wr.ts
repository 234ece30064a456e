/** Runs `wr` as a user would (a separate process), and the shell tools the tests compare it with. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './network.js';

export const WR_BIN = join(ROOT, 'packages', 'cli', 'bin', 'wr.js');

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
