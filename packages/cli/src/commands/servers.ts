import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Secret, WrError } from '@wr/common';
import { loadMasterKey, type AdmissionLimits } from '@wr/server';
import { parsePort, settings } from '../config.js';
import { initWorkspaceTls, nodeMasterKey, readNodeIdentity, registerInitCommands } from './node-init.js';

/** A file a setting names; one that cannot be read, or (as JSON) parsed, is CONFIG_INVALID naming the setting. */
function readSettingFile(param: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new WrError('CONFIG_INVALID', `${param}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { param, cause: err });
  }
}
function readJsonSetting<T>(param: string, text: string, source: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new WrError('CONFIG_INVALID', `${param}: ${source} is not JSON (${(err as Error).message})`, { param, cause: err });
  }
}
const readSecretFile = (param: string, path: string) => new Secret(readSettingFile(param, path).trim());

/**
 * The backpressure limits set by flag, WR_ variable or config entry, by their flag's name; those not set keep the
 * server's measured defaults. One that is not a whole number (at least 1; 0 allowed for a queue) is CONFIG_INVALID.
 */
function limitsFrom(get: ReturnType<typeof settings>, names: Partial<Record<keyof AdmissionLimits, [flag: string, env: string]>>): Partial<AdmissionLimits> {
  const limits: Partial<AdmissionLimits> = {};
  for (const [limit, [flag, env]] of Object.entries(names) as [keyof AdmissionLimits, [string, string]][]) {
    const value = get<unknown>(flag, env, '');
    if (value === '') continue;
    const n = Number(value);
    const least = limit === 'maxQueued' ? 0 : 1;
    if (!Number.isSafeInteger(n) || n < least) {
      throw new WrError('CONFIG_INVALID', `${flag}: ${String(value)} is not a whole number of at least ${least} (${env})`, { param: flag });
    }
    limits[limit] = n;
  }
  return limits;
}
const queueWait: [string, string] = ['maxQueueWaitMs', 'WR_MAX_QUEUE_WAIT_MS'];

/** The drain bound in milliseconds: a whole number from 0 to 10 minutes, or CONFIG_INVALID. */
function parseDrainTimeout(value: unknown): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0 || ms > 600_000)
    throw new WrError('CONFIG_INVALID', `drainTimeout: ${String(value)} is not a number of milliseconds from 0 to 600000`, { param: 'drainTimeout' });
  return ms;
}

/** Import worker threads: a whole number from 0 (the node's own thread) to 64, or CONFIG_INVALID. */
function parseWorkers(value: unknown): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64)
    throw new WrError('CONFIG_INVALID', `importWorkers: ${String(value)} is not a number of worker threads from 0 to 64`, { param: 'importWorkers' });
  return n;
}

/** A bound towards nodes in milliseconds: a whole number from 100 to 10 minutes, or CONFIG_INVALID. */
function parseMs(param: string, value: unknown): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 100 || ms > 600_000)
    throw new WrError('CONFIG_INVALID', `${param}: ${String(value)} is not a number of milliseconds from 100 to 600000`, { param });
  return ms;
}

/** Tells a parent process (the dev network) where this server listens. */
function announce(url: string): void {
  process.send?.({ ready: url });
}

export function registerServerCommands(program: Command): void {
  const node = program.command('node').description('run an MPC node');
  node
    .command('start')
    .description('start an MPC node (flags > environment > --config file)')
    .option('--config <file>', 'JSON config file with the keys below')
    .option('--node-id <id>', 'node id, e.g. node-1 (WR_NODE_ID)')
    .option('--host <host>', 'address to listen on (WR_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port (WR_PORT, default 7401; 0 picks one)')
    .option('--data-dir <dir>', 'where node.db, tls.key and tls.crt live, as wr node init made them (WR_DATA_DIR)')
    .option('--master-key-file <file>', 'the master key, outside the data directory (WR_MASTER_KEY_FILE, default DIR.master-key; or WR_NODE_MASTER_KEY)')
    .option('--token-file <file>', "file holding the workspace's credential (WR_NODE_TOKEN_FILE, default DIR/workspace.token)")
    .option('--tls-key-file <file>', "the node's TLS key (WR_TLS_KEY_FILE, default DIR/tls.key if there)")
    .option('--tls-cert-file <file>', "the node's TLS certificate (WR_TLS_CERT_FILE, default DIR/tls.crt if there)")
    .option(
      '--workspace-cert-fingerprint <hex>',
      "the workspace's TLS certificate fingerprint(s), comma-separated: the only clients accepted (WR_WORKSPACE_CERT_FINGERPRINT)",
    )
    .option('--admin-public-key <hex>', "the root admin's public API key; fixed at the node's first start (WR_ADMIN_PUBLIC_KEY)")
    .option('--max-in-flight <n>', 'heavy protocol steps (DKG, signing, export, import, rewrap) run at once (WR_MAX_IN_FLIGHT, default 4)')
    .option('--max-queued <n>', 'heavy steps that wait for a slot; more are refused, RESOURCE_EXHAUSTED (WR_MAX_QUEUED, default 64)')
    .option('--max-queue-wait-ms <ms>', 'the longest a step waits for a slot before it is refused (WR_MAX_QUEUE_WAIT_MS, default 5000)')
    .option('--log-level <level>', 'debug (a line per request), info (startup, stop, summaries, errors), warn... (WR_LOG_LEVEL)')
    .option('--drain-timeout <ms>', 'on SIGTERM, how long the requests already received get to finish (WR_DRAIN_TIMEOUT_MS, default 10000)')
    .option('--import-workers <n>', 'worker threads that open and check imported shares; 0 uses the main thread (WR_IMPORT_WORKERS, default cores - 1)')
    .action(async (flags: Record<string, string>) => {
      const get = settings(flags, flags['config']);
      const dataDir = resolve(get<string>('dataDir', 'WR_DATA_DIR'));
      const tokenEnv = process.env['WR_NODE_TOKEN'];
      const initialised = readNodeIdentity(dataDir);
      // Server code loads only when a server starts, so every other command starts fast.
      const { startNode } = await import('@wr/node');
      const { closeOnSignals, loadTlsIdentity, parseFingerprint } = await import('@wr/server');
      // TLS from the files given, else from those wr node init made; a node without them listens on loopback only.
      const tlsKeyFile = get<string>('tlsKeyFile', 'WR_TLS_KEY_FILE', '') || (existsSync(join(dataDir, 'tls.key')) ? join(dataDir, 'tls.key') : '');
      const tlsCertFile = get<string>('tlsCertFile', 'WR_TLS_CERT_FILE', '') || (existsSync(join(dataDir, 'tls.crt')) ? join(dataDir, 'tls.crt') : '');
      const workspaceFingerprints = get<string>('workspaceCertFingerprint', 'WR_WORKSPACE_CERT_FINGERPRINT', '');
      let tls;
      if (tlsKeyFile || tlsCertFile) {
        if (!workspaceFingerprints) {
          throw new WrError(
            'CONFIG_INVALID',
            'workspaceCertFingerprint: a node with TLS accepts only the workspace certificate: ' +
              'pass --workspace-cert-fingerprint (wr workspace init prints it)',
            { param: 'workspaceCertFingerprint' },
          );
        }
        tls = {
          identity: loadTlsIdentity(tlsKeyFile || join(dataDir, 'tls.key'), tlsCertFile || join(dataDir, 'tls.crt')),
          clientFingerprints: String(workspaceFingerprints)
            .split(',')
            .map((f) => parseFingerprint(f, 'workspaceCertFingerprint')),
        };
      }
      const running = await startNode({
        nodeId: get<string>('nodeId', 'WR_NODE_ID', initialised?.nodeId),
        host: get('host', 'WR_HOST', '127.0.0.1'),
        port: parsePort(get('port', 'WR_PORT', 7401)),
        databaseFile: join(dataDir, 'node.db'),
        masterKey: nodeMasterKey(dataDir, get<string>('masterKeyFile', 'WR_MASTER_KEY_FILE', '') || undefined, true),
        ...(tls && { tls }),
        authToken: tokenEnv
          ? new Secret(tokenEnv)
          : readSecretFile('tokenFile', get<string>('tokenFile', 'WR_NODE_TOKEN_FILE', join(dataDir, 'workspace.token'))),
        adminPublicKey: get<string>('adminPublicKey', 'WR_ADMIN_PUBLIC_KEY'),
        stepLimits: limitsFrom(get, { maxInFlight: ['maxInFlight', 'WR_MAX_IN_FLIGHT'], maxQueued: ['maxQueued', 'WR_MAX_QUEUED'], maxQueueWaitMs: queueWait }),
        logLevel: get('logLevel', 'WR_LOG_LEVEL', 'info'),
        drainTimeoutMs: parseDrainTimeout(get('drainTimeout', 'WR_DRAIN_TIMEOUT_MS', 10_000)),
        ...(get('importWorkers', 'WR_IMPORT_WORKERS', '') !== '' && { importWorkers: parseWorkers(get('importWorkers', 'WR_IMPORT_WORKERS')) }),
      });
      announce(running.url);
      closeOnSignals(running, () => process.exit(0));
    });

  const ws = program.command('workspace').description('run the workspace API');
  ws.command('start')
    .description('start the workspace (flags > environment > --config file)')
    .option('--config <file>', 'JSON config file; "nodes": [{ "nodeId", "url", "tokenFile" }] (https URLs are pinned to the roster\'s tlsCertFingerprint)')
    .option('--host <host>', 'address to listen on (WR_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port (WR_PORT, default 7400; 0 picks one)')
    .option('--data-dir <dir>', 'where workspace.db, master.key and the TLS client certificate (tls.key, tls.crt) live (WR_DATA_DIR)')
    .option(
      '--database <url>',
      'postgres://user@host/db: the state in PostgreSQL, which replicas share (WR_DATABASE_URL, better for a password); default workspace.db',
    )
    .option('--default-node <id>', 'default target node (WR_DEFAULT_NODE)')
    .option('--admin-public-key <hex>', "the root admin's public API key (WR_ADMIN_PUBLIC_KEY)")
    .option('--roster-file <file>', 'the network roster the root admin signed (WR_ROSTER_FILE)')
    .option('--metrics-token-file <file>', 'the credential /metrics asks of a scraper (WR_METRICS_TOKEN_FILE)')
    .option('--max-in-flight <n>', 'SIGN and CREATE_KEY calls run at once (WR_MAX_IN_FLIGHT, default 8)')
    .option('--max-queued <n>', 'SIGN and CREATE_KEY calls that wait for a slot; more are refused, RESOURCE_EXHAUSTED (WR_MAX_QUEUED, default 64)')
    .option('--max-queue-wait-ms <ms>', 'the longest a call, or a request to a node, waits for a slot (WR_MAX_QUEUE_WAIT_MS, default 5000)')
    .option('--node-max-in-flight <n>', 'requests in flight to each node (WR_NODE_MAX_IN_FLIGHT, default 16)')
    .option('--node-max-queued <n>', 'requests waiting to be sent to each node; more are refused (WR_NODE_MAX_QUEUED, default 256)')
    .option('--node-timeout-ms <ms>', 'a request to a node that takes longer fails its call with NODE_UNAVAILABLE (WR_NODE_TIMEOUT_MS, default 30000)')
    .option('--node-connect-timeout-ms <ms>', 'the longest opening a connection to a node may take (WR_NODE_CONNECT_TIMEOUT_MS, default 5000)')
    .option('--log-level <level>', 'debug (a line per request), info (startup, stop, summaries, errors), warn... (WR_LOG_LEVEL)')
    .option('--drain-timeout <ms>', 'on SIGTERM, how long the calls already received get to finish (WR_DRAIN_TIMEOUT_MS, default 10000)')
    .action(async (flags: Record<string, string>) => {
      const get = settings(flags, flags['config']);
      const dataDir = resolve(get<string>('dataDir', 'WR_DATA_DIR'));
      const nodes = get<{ nodeId: string; url: string; tokenFile: string }[]>('nodes', 'WR_NODES_JSON');
      const list = typeof nodes === 'string' ? readJsonSetting<typeof nodes>('nodes', nodes, 'WR_NODES_JSON') : nodes;
      const metricsTokenFile = get<string>('metricsTokenFile', 'WR_METRICS_TOKEN_FILE', '');
      const rosterFile = get<string>('rosterFile', 'WR_ROSTER_FILE');
      const databaseUrl = get<string>('database', 'WR_DATABASE_URL', '');
      if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
        throw new WrError('CONFIG_INVALID', 'database: give a postgres://user@host:port/db URL, or leave it out for workspace.db in --data-dir', {
          param: 'database',
        });
      }
      const { startWorkspace } = await import('@wr/workspace');
      const { closeOnSignals } = await import('@wr/server');
      // The client certificate nodes pin, made on first start (wr workspace init makes it ahead and prints its fingerprint).
      const tls = await initWorkspaceTls(dataDir);
      const running = await startWorkspace({
        tls,
        host: get('host', 'WR_HOST', '127.0.0.1'),
        port: parsePort(get('port', 'WR_PORT', 7400)),
        databaseFile: join(dataDir, 'workspace.db'),
        ...(databaseUrl && { databaseUrl }),
        masterKey: loadMasterKey({ envValue: process.env['WR_WORKSPACE_MASTER_KEY'], file: join(dataDir, 'master.key'), create: true }),
        nodes: list.map((n) => ({ nodeId: n.nodeId, url: n.url, token: readSecretFile('nodes', n.tokenFile) })),
        defaultTargetNode: get('defaultNode', 'WR_DEFAULT_NODE', list[list.length - 1]?.nodeId ?? ''),
        adminPublicKey: get<string>('adminPublicKey', 'WR_ADMIN_PUBLIC_KEY'),
        roster: readJsonSetting('rosterFile', readSettingFile('rosterFile', rosterFile), rosterFile),
        ...(metricsTokenFile ? { metricsToken: readSecretFile('metricsTokenFile', metricsTokenFile) } : {}),
        callLimits: limitsFrom(get, { maxInFlight: ['maxInFlight', 'WR_MAX_IN_FLIGHT'], maxQueued: ['maxQueued', 'WR_MAX_QUEUED'], maxQueueWaitMs: queueWait }),
        nodeRequestLimits: limitsFrom(get, {
          maxInFlight: ['nodeMaxInFlight', 'WR_NODE_MAX_IN_FLIGHT'],
          maxQueued: ['nodeMaxQueued', 'WR_NODE_MAX_QUEUED'],
          maxQueueWaitMs: queueWait,
        }),
        nodeTimeoutMs: parseMs('nodeTimeoutMs', get('nodeTimeoutMs', 'WR_NODE_TIMEOUT_MS', 30_000)),
        nodeConnectTimeoutMs: parseMs('nodeConnectTimeoutMs', get('nodeConnectTimeoutMs', 'WR_NODE_CONNECT_TIMEOUT_MS', 5_000)),
        logLevel: get('logLevel', 'WR_LOG_LEVEL', 'info'),
        drainTimeoutMs: parseDrainTimeout(get('drainTimeout', 'WR_DRAIN_TIMEOUT_MS', 10_000)),
      });
      announce(running.url);
      closeOnSignals(running, () => process.exit(0));
    });

  registerInitCommands(node, ws);

  program
    .command('dev')
    .description('start a local network in the foreground: a workspace and four nodes, files under .wr/')
    .option('--dir <dir>', 'where the network keeps its files', '.wr')
    .option('--port <port>', 'workspace port; nodes take the next ones (0 picks free ports)', '7400')
    .option('--nodes <n>', 'number of nodes', '4')
    .action(async (flags: { dir: string; port: string; nodes: string }) => {
      const { runDevNetwork } = await import('../dev/dev-command.js');
      await runDevNetwork({ dir: resolve(flags.dir), port: parsePort(flags.port), nodeCount: Number(flags.nodes) });
    });
}
