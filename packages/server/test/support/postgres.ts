/**
 * A throwaway PostgreSQL server for tests: Debian's `postgresql` package
 * (/usr/lib/postgresql/<version>/bin), a cluster made by initdb under a
 * temporary directory, listening on a free loopback port, removed by `stop`.
 * initdb and postgres refuse to run as root: as root, they are started as
 * the `postgres` user (spawn's uid and gid, no runuser in between, which
 * would swallow the shutdown signal), which owns the directory.
 * The one home of this harness: the workspace's unit tests import it as
 * `@wr/server/test-postgres`, and test/support/postgres.ts hands it on.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** postgres://wr@127.0.0.1:<port>/postgres */
  url: string;
  /** A new, empty database on this server, and its URL. */
  createDatabase(name: string): Promise<string>;
  /** One statement on a database of this server (its URL), for a test to look at what the servers keep. */
  query<T>(databaseUrl: string, sql: string, params?: unknown[]): Promise<T[]>;
  /** Everything a database holds, as pg_dump writes it (BYTEA in hex): what a test searches for secrets. */
  dump(databaseUrl: string): string;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** The bin directory of an installed PostgreSQL (15 preferred), or undefined. */
export function postgresBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => (a === '15' ? -1 : b === '15' ? 1 : Number(b) - Number(a)));
  return versions.map((v) => join(root, v, 'bin')).find((bin) => existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres')));
}

/** Why PostgreSQL tests cannot run here, or undefined when they can: a test skips with it, saying so. */
export function postgresMissing(): string | undefined {
  return postgresBinaries() ? undefined : 'PostgreSQL is not installed (apt-get install postgresql): the PostgreSQL tests are skipped';
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** As root, the `postgres` user's uid and gid, for spawn: PostgreSQL's own processes, signalled directly. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root, and there is no postgres user to run PostgreSQL as');
  return { uid, gid };
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinaries();
  if (!bin) throw new Error(postgresMissing());
  const dir = mkdtempSync(join(tmpdir(), 'wr-pg-'));
  const data = join(dir, 'data');
  let server: ChildProcess | undefined;
  const stop = async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      // SIGINT: PostgreSQL's fast shutdown (its backends end too; a SIGKILL would leave them behind).
      server.kill('SIGINT');
      const late = setTimeout(() => server!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(late);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const user = postgresUser();
    if (user) chownSync(dir, user.uid, user.gid);
    // cwd: a directory the postgres user may enter.
    const as = { ...user, cwd: dir };
    const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'wr', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], {
      ...as,
      encoding: 'utf8',
    });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
    const port = await freePort();
    const args = [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dir}`,
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
    ];
    server = spawn(join(bin, 'postgres'), args, { ...as, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    server.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    const url = `postgres://wr@127.0.0.1:${port}/postgres`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const c = new pg.Client({ connectionString: url });
      try {
        await c.connect();
        await c.end();
        break;
      } catch {
        await c.end().catch(() => undefined);
        if (server.exitCode !== null || Date.now() > deadline) throw new Error(`PostgreSQL did not start:\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return {
      url,
      async createDatabase(name) {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${name}: use a-z, 0-9 and _`);
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          await c.query(`CREATE DATABASE ${name}`);
        } finally {
          await c.end();
        }
        return `postgres://wr@127.0.0.1:${port}/${name}`;
      },
      async query<T>(databaseUrl: string, sql: string, params: unknown[] = []) {
        const c = new pg.Client({ connectionString: databaseUrl });
        await c.connect();
        try {
          return (await c.query(sql, params)).rows as T[];
        } finally {
          await c.end();
        }
      },
      dump(databaseUrl: string) {
        const out = spawnSync(join(bin, 'pg_dump'), ['--dbname', databaseUrl], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
        if (out.status !== 0) throw new Error(`pg_dump failed: ${out.stderr}`);
        return out.stdout;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
