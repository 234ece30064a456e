import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { randomId } from '@wr/common';
import { checkPortFree } from '@wr/server';
import { EXIT_CODES } from '../output.js';
import { ApiKey } from 'caller-sdk';
import type { Roster, RosterNode, SignedRoster } from '@wr/api';
import { RotatingLog, type LogRotation } from './rotating-log.js';
import { initNode, initWorkspaceTls } from '../commands/node-init.js';

const CLI_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export interface LocalNetworkOptions {
  /** Where the network keeps its files (.wr for `wr dev`). */
  dir: string;
  host?: string;
  /** The workspace's port; nodes take the next ones. 0 picks free ports for all. */
  port: number;
  nodeCount?: number;
  /** Extra environment for every server process. */
  env?: Record<string, string>;
  /** Restart a server that exits without being asked to, with backoff (`wr dev` does; tests that want a node down don't). */
  supervise?: boolean;
  /** Where supervision says what it does: a server stopped, is restarting, is back. */
  onEvent?: (line: string) => void;
  /** How logs/<server>.log rotate (default: at 10 MiB, 5 old files kept). */
  logRotation?: LogRotation;
  /** postgres://...: the workspace keeps its state there instead of workspace.db. */
  databaseUrl?: string;
  /** Workspace processes serving the network at once (default 1); more than one needs `databaseUrl`. Each takes a free port. */
  workspaceReplicas?: number;
}

export interface ServerProcess {
  name: string;
  port: number;
  url: string;
  process: ChildProcess;
}

export interface LocalNetwork {
  baseUrl: string;
  apiKey: string;
  /** The root admin's public key: what clients check the roster against. */
  adminPublicKey: string;
  dir: string;
  defaultTargetNode: string;
  workspace: ServerProcess;
  nodes: Map<string, ServerProcess>;
  /** Kills a node (SIGKILL by default) and waits for it to exit; supervision leaves it down until startNode. */
  killNode(nodeId: string, signal?: NodeJS.Signals): Promise<void>;
  startNode(nodeId: string): Promise<ServerProcess>;
  killWorkspace(signal?: NodeJS.Signals): Promise<void>;
  startWorkspace(): Promise<ServerProcess>;
  /** Every workspace replica, the first being `workspace`. */
  readonly workspaces: ServerProcess[];
  /** Kills replica `i` (0 is `workspace`) and waits for it to exit. */
  killWorkspaceReplica(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Stops every server, letting calls in flight finish. */
  stop(): Promise<void>;
}

/**
 * The servers, once every one is ready; if one fails to start, the others
 * (and `alsoStop`) are stopped before the failure is thrown, so nothing is
 * left running behind a failed start.
 */
async function startedOrStopped(starting: Promise<ServerProcess>[], alsoStop: ServerProcess[] = []): Promise<ServerProcess[]> {
  const settled = await Promise.allSettled(starting);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return settled.map((r) => (r as PromiseFulfilledResult<ServerProcess>).value);
  const up = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  await Promise.all([...up, ...alsoStop].map((p) => waitExit(p.process, 'SIGKILL')));
  throw failed.reason;
}

function secretFile(path: string, make: () => string): string {
  if (!existsSync(path)) writeFileSync(path, make() + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return readFileSync(path, 'utf8').trim();
}

function spawnServer(name: string, args: string[], logFile: string, env: Record<string, string>, rotation?: LogRotation): Promise<ServerProcess> {
  // The server writes JSON lines to stdout; they reach its log file through a size-rotating writer here.
  const log = new RotatingLog(logFile, rotation);
  const child = fork(CLI_MAIN, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, ...env } });
  log.follow(child.stdout!);
  log.follow(child.stderr!);
  void Promise.allSettled([finished(child.stdout!), finished(child.stderr!)]).then(() => log.close());
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(Object.assign(new Error(`${name} exited (code ${code}) before it was ready: see ${logFile}`), { exitCode: code }));
    child.once('exit', onExit);
    child.once('message', (m: { ready?: string }) => {
      if (!m.ready) return;
      child.off('exit', onExit);
      child.disconnect();
      resolve({ name, url: m.ready, port: Number(new URL(m.ready).port), process: child });
    });
  });
}

/** Signals a server and waits until it has exited and its last log lines are written (its output ended). */
async function waitExit(p: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (p.exitCode === null && p.signalCode === null) {
    await new Promise<void>((res) => {
      p.once('exit', () => res());
      p.kill(signal);
    });
  }
  await Promise.all([p.stdout, p.stderr].map((s) => s && finished(s).catch(() => undefined)));
}

/** Exit codes that say a server cannot start as configured: starting it again would fail the same way. */
const STARTUP_FAILURES = new Set([EXIT_CODES.PORT_IN_USE, EXIT_CODES.DATA_DIR_UNUSABLE, EXIT_CODES.CONFIG_INVALID]);

const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 8000;
/** A server that stayed up this long before it stopped starts its backoff afresh. */
const STABLE_MS = 30_000;

/**
 * One server kept up: when it exits without being asked to, it is started
 * again after a backoff that doubles while it keeps failing. Asked-for stops
 * (kill, stop) are not restarted; a stop also cancels a pending restart and
 * stops a restart that was under way.
 */
class Supervised {
  #current: ServerProcess;
  #upSince = Date.now();
  #failures = 0;
  #intended = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    first: ServerProcess,
    private readonly spawn: () => Promise<ServerProcess>,
    private readonly onUp: (p: ServerProcess) => void,
    private readonly supervise: boolean,
    private readonly say: (line: string) => void,
    private readonly logFile: string,
  ) {
    this.#current = first;
    this.#watch(first);
  }

  get current(): ServerProcess {
    return this.#current;
  }

  #watch(p: ServerProcess): void {
    p.process.once('exit', (code, signal) => {
      if (p !== this.#current || this.#intended || this.#stopped || !this.supervise) return;
      this.say(`${p.name} stopped unexpectedly (${signal ?? `code ${code}`}): see ${this.logFile}`);
      this.#restartLater();
    });
  }

  #restartLater(): void {
    if (Date.now() - this.#upSince > STABLE_MS) this.#failures = 0;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.#failures++);
    this.say(`restarting ${this.#current.name} in ${(delay / 1000).toFixed(delay < 1000 ? 2 : 0)} s`);
    this.#timer = setTimeout(() => void this.#restart(), delay);
  }

  async #restart(): Promise<void> {
    let p: ServerProcess;
    try {
      p = await this.spawn();
    } catch (err) {
      if (this.#stopped) return;
      this.say(`${this.#current.name} did not come back: ${(err as Error).message}`);
      if (STARTUP_FAILURES.has((err as { exitCode?: number }).exitCode ?? -1))
        return this.say(`${this.#current.name} cannot start as configured: not restarting it`);
      return this.#restartLater();
    }
    if (this.#stopped || this.#intended) return void (await waitExit(p.process, 'SIGTERM'));
    this.#adopt(p);
    this.say(`${p.name} is back at ${p.url}`);
  }

  #adopt(p: ServerProcess): void {
    this.#current = p;
    this.#upSince = Date.now();
    this.onUp(p);
    this.#watch(p);
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    this.#intended = true;
    clearTimeout(this.#timer);
    await waitExit(this.#current.process, signal);
  }

  async start(): Promise<ServerProcess> {
    clearTimeout(this.#timer);
    const p = await this.spawn();
    this.#intended = false;
    this.#adopt(p);
    return p;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await waitExit(this.#current.process, 'SIGTERM');
  }
}

/**
 * Starts a workspace and its nodes as separate processes on loopback. The
 * network's files (keys, databases, credentials, logs) live under `dir`; a
 * second start over the same dir finds the same keys and the same API key.
 */
export async function startLocalNetwork(opts: LocalNetworkOptions): Promise<LocalNetwork> {
  const host = opts.host ?? '127.0.0.1';
  const n = opts.nodeCount ?? 4;
  const dir = opts.dir;
  mkdirSync(join(dir, 'logs'), { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);

  // Port 0: each server takes one the OS gives it, and keeps it across restarts (ports[] is updated once it listens).
  const ports = Array.from({ length: n + 1 }, (_, i) => (opts.port === 0 ? 0 : opts.port + i));
  if (opts.port !== 0) for (const p of ports) await checkPortFree(host, p);

  const env = opts.env ?? {};
  // The root admin key: made here, kept here. Servers get its public half only.
  const apiKey = secretFile(join(dir, 'admin-api-key'), () => randomId('wr_', 40));
  const admin = new ApiKey(apiKey);
  const adminPublicKey = admin.publicKey;
  const nodeIds = Array.from({ length: n }, (_, i) => `node-${i + 1}`);
  // Provisioned as on separate hosts (wr workspace init, wr node init), so loopback runs the deployed path, TLS included.
  const wsDir = join(dir, 'workspace');
  const workspaceTls = await initWorkspaceTls(wsDir);
  const entries: RosterNode[] = [];
  for (const id of nodeIds) entries.push((await initNode({ dataDir: join(dir, id), nodeId: id })).entry);
  const nodeArgs = (id: string, i: number) => {
    const data = join(dir, id);
    return [
      'node',
      'start',
      '--node-id',
      id,
      '--host',
      host,
      '--port',
      String(ports[i + 1]),
      '--data-dir',
      data,
      '--token-file',
      join(data, 'workspace.token'),
      '--admin-public-key',
      adminPublicKey,
      '--workspace-cert-fingerprint',
      workspaceTls.fingerprint,
    ];
  };
  const spawnNode = (id: string) => spawnServer(id, nodeArgs(id, nodeIds.indexOf(id)), join(dir, 'logs', `${id}.log`), env, opts.logRotation);
  // The map is in node order (node-1 first), whatever order they became ready in; a restart replaces its entry in place.
  const started = await startedOrStopped(nodeIds.map(spawnNode));
  started.forEach((p, i) => (ports[i + 1] = p.port));
  const nodes = new Map(nodeIds.map((id, i) => [id, started[i]!]));
  const say = opts.onEvent ?? (() => {});
  const supervise = opts.supervise ?? false;
  const nodeKeepers = new Map(
    nodeIds.map((id) => [
      id,
      new Supervised(
        nodes.get(id)!,
        () => spawnNode(id),
        (p) => nodes.set(id, p),
        supervise,
        say,
        join(dir, 'logs', `${id}.log`),
      ),
    ]),
  );

  // The roster pins every node's keys and certificate, as wr node init printed them; signed by the admin key, and
  // kept as long as they stay the same.
  const rosterFile = join(dir, 'roster.json');
  writeRoster(rosterFile, admin, entries);

  secretFile(join(wsDir, 'metrics.token'), () => randomBytes(32).toString('hex'));
  const config = {
    host,
    port: ports[0]!,
    dataDir: wsDir,
    defaultNode: nodeIds[nodeIds.length - 1],
    adminPublicKey,
    rosterFile,
    metricsTokenFile: join(wsDir, 'metrics.token'),
    nodes: nodeIds.map((id, i) => ({ nodeId: id, url: `https://${host}:${ports[i + 1]}`, tokenFile: join(dir, id, 'workspace.token') })),
  };
  writeFileSync(join(wsDir, 'config.json'), JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  const replicas = opts.workspaceReplicas ?? 1;
  if (replicas > 1 && !opts.databaseUrl) throw new Error('workspace replicas share one PostgreSQL database: give databaseUrl');
  // Replicas share the config (and so master.key) and the database; each beyond the first takes a port of its own.
  const database = opts.databaseUrl ? ['--database', opts.databaseUrl] : [];
  const wsLog = (i: number) => join(dir, 'logs', i === 0 ? 'workspace.log' : `workspace-${i + 1}.log`);
  const startWs = (i = 0) =>
    spawnServer(
      i === 0 ? 'workspace' : `workspace-${i + 1}`,
      ['workspace', 'start', '--config', join(wsDir, 'config.json'), ...database, ...(i === 0 ? [] : ['--port', '0'])],
      wsLog(i),
      env,
      opts.logRotation,
    );
  const wsKeeper = new Supervised((await startedOrStopped([startWs()], started))[0]!, startWs, () => {}, supervise, say, wsLog(0));
  if (config.port === 0) {
    config.port = wsKeeper.current.port;
    writeFileSync(join(wsDir, 'config.json'), JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  }
  const others = Array.from({ length: replicas - 1 }, (_, i) => i + 1);
  const otherProcesses = await startedOrStopped(
    others.map((i) => startWs(i)),
    [...started, wsKeeper.current],
  );
  const replicaKeepers = [
    wsKeeper,
    ...others.map(
      (i, k) =>
        new Supervised(
          otherProcesses[k]!,
          () => startWs(i),
          () => {},
          supervise,
          say,
          wsLog(i),
        ),
    ),
  ];

  const net: LocalNetwork = {
    baseUrl: wsKeeper.current.url,
    apiKey,
    adminPublicKey,
    dir,
    defaultTargetNode: config.defaultNode!,
    get workspace() {
      return wsKeeper.current;
    },
    nodes,
    killNode: (id, signal = 'SIGKILL') => nodeKeepers.get(id)!.kill(signal),
    startNode: (id) => nodeKeepers.get(id)!.start(),
    killWorkspace: (signal = 'SIGKILL') => wsKeeper.kill(signal),
    startWorkspace: () => wsKeeper.start(),
    get workspaces() {
      return replicaKeepers.map((k) => k.current);
    },
    killWorkspaceReplica: (i, signal = 'SIGKILL') => replicaKeepers[i]!.kill(signal),
    stop: async () => {
      await Promise.all(replicaKeepers.map((k) => k.stop()));
      await Promise.all([...nodeKeepers.values()].map((k) => k.stop()));
    },
  };
  writeFileSync(join(dir, 'dev.env'), `WR_BASE_URL=${net.baseUrl}\nWR_API_KEY=${apiKey}\nWR_ADMIN_PUBLIC_KEY=${adminPublicKey}\n`, { mode: 0o600 });
  return net;
}

/** Signs a roster of the nodes' entries, unless the one on file already lists exactly those. */
function writeRoster(file: string, admin: ApiKey, listed: RosterNode[]): void {
  let version = 1;
  if (existsSync(file)) {
    const held = JSON.parse(JSON.parse(readFileSync(file, 'utf8')).roster) as Roster;
    if (JSON.stringify(held.nodes) === JSON.stringify(listed)) return;
    version = held.version + 1;
  }
  const signed: SignedRoster = admin.signRoster({ version, issuedAt: new Date().toISOString(), nodes: listed });
  writeFileSync(file, JSON.stringify(signed, null, 2) + '\n', { mode: 0o600 });
}
