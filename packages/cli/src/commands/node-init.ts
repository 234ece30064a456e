import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, relative, resolve, isAbsolute } from 'node:path';
import type { Command } from 'commander';
import { Secret, WrError } from '@wr/common';
import { loadMasterKey } from '@wr/server';

/**
 * A node's master key: from WR_NODE_MASTER_KEY (hex) if set, else from a file OUTSIDE its data directory (a copy
 * of the data directory, a backup say, must not carry the key that opens it): the given one, else `DIR.master-key`
 * beside it. A data directory made before `wr node init` existed keeps its `master.key` where it is.
 */
export function nodeMasterKey(dataDir: string, file: string | undefined, create: boolean): Secret<Uint8Array> {
  const envValue = process.env['WR_NODE_MASTER_KEY'];
  if (envValue) return loadMasterKey({ envValue, file: '', create: false });
  return loadMasterKey({ file: nodeMasterKeyFile(dataDir, file), create });
}

export function nodeMasterKeyFile(dataDir: string, file: string | undefined): string {
  if (file) {
    const inside = relative(resolve(dataDir), resolve(file));
    if (!inside.startsWith('..') && !isAbsolute(inside)) {
      throw new WrError(
        'CONFIG_INVALID',
        `masterKeyFile: ${file} is inside the data directory ${dataDir}: keep the master key outside it (e.g. ${dataDir}.master-key)`,
        {
          param: 'masterKeyFile',
        },
      );
    }
    return resolve(file);
  }
  const legacy = join(dataDir, 'master.key');
  return existsSync(legacy) ? legacy : resolve(dataDir) + '.master-key';
}

/** What `wr node init` recorded of a node in its data directory, so that later runs and `wr node start` need no flags. */
export interface NodeIdentityFile {
  nodeId: string;
  url?: string;
}
export const nodeIdentityFile = (dataDir: string) => join(dataDir, 'node.json');

export function readNodeIdentity(dataDir: string): NodeIdentityFile | undefined {
  const file = nodeIdentityFile(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as NodeIdentityFile;
  } catch (err) {
    throw new WrError('DATA_DIR_UNUSABLE', `${file} is not JSON: restore it, or run wr node init on a new data directory`, { cause: err });
  }
}

const NODE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface InitNodeOptions {
  dataDir: string;
  nodeId?: string;
  url?: string;
  masterKeyFile?: string;
  /** More names or addresses for the certificate (loopback is always in it). */
  hosts?: string[];
}

/**
 * Provisions a node in `dataDir` (see provisionNode) and returns its roster entry. A second run on the same directory
 * changes nothing and returns the same entry; asking it for another id or URL than the first run is CONFIG_INVALID.
 */
export async function initNode(opts: InitNodeOptions) {
  const dataDir = resolve(opts.dataDir);
  const held = readNodeIdentity(dataDir);
  const nodeId = opts.nodeId ?? held?.nodeId ?? basename(dataDir);
  if (!NODE_ID.test(nodeId))
    throw new WrError('CONFIG_INVALID', `id: ${nodeId} is not a node id (lowercase letters, digits and -, e.g. node-1): pass --id`, { param: 'id' });
  const url = opts.url ?? held?.url;
  if (url !== undefined && !/^https:\/\/[^\s/?#]+$/.test(url)) {
    throw new WrError('CONFIG_INVALID', `url: ${url} is not https://HOST:PORT (where the workspace will reach this node)`, { param: 'url' });
  }
  for (const [param, was, now] of [
    ['id', held?.nodeId, nodeId],
    ['url', held?.url, url],
  ] as const) {
    if (held && was !== now) {
      throw new WrError(
        'CONFIG_INVALID',
        `${param}: ${dataDir} was initialised with ${String(was)}, not ${String(now)}: its certificate and roster entry name that`,
        { param },
      );
    }
  }
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
  } catch (err) {
    throw new WrError('DATA_DIR_UNUSABLE', `cannot create ${dataDir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  const masterKey = nodeMasterKey(dataDir, opts.masterKeyFile, true);
  const { provisionNode } = await import('@wr/node');
  const { entry, tls } = await provisionNode({ nodeId, dataDir, masterKey, ...(url && { url }), hosts: ['127.0.0.1', 'localhost', ...(opts.hosts ?? [])] });
  masterKey.destroy();
  // The bearer credential the workspace presents beside its certificate (a second factor): copy it to the workspace host.
  const token = join(dataDir, 'workspace.token');
  if (!existsSync(token)) writeFileSync(token, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  if (!held) writeFileSync(nodeIdentityFile(dataDir), JSON.stringify({ nodeId, ...(url && { url }) }, null, 2) + '\n', { mode: 0o600 });
  return { entry, tls };
}

/**
 * The workspace's TLS client identity in its data directory, made on first use: nodes pin its fingerprint
 * (`wr node start --workspace-cert-fingerprint`).
 */
export async function initWorkspaceTls(dataDir: string) {
  const { ensureTlsIdentity } = await import('@wr/server');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return ensureTlsIdentity(join(dataDir, 'tls.key'), join(dataDir, 'tls.crt'), 'workspace', [hostname(), '127.0.0.1', 'localhost']);
}

export function registerInitCommands(node: Command, ws: Command): void {
  node
    .command('init')
    .description("provision a node on this host: keys, TLS certificate; prints the node's roster entry (JSON) for the admin")
    .requiredOption('--data-dir <dir>', "the node's data directory")
    .option('--id <id>', 'node id, e.g. node-1 (default: the data directory name)')
    .option('--url <url>', `where the workspace reaches this node, https://HOST:PORT (default https://${hostname()}:7401)`)
    .option('--master-key-file <file>', 'where the master key is kept, outside the data directory (default DIR.master-key; WR_NODE_MASTER_KEY instead)')
    .option('--host <name...>', 'more host names or addresses for the certificate')
    .action(async (own: { dataDir: string; id?: string; url?: string; masterKeyFile?: string; host?: string[] }, cmd: Command) => {
      // The program has a --url of its own (the workspace's); commander gives it the flag, so read it from there too.
      const flags = { ...own, url: own.url ?? cmd.optsWithGlobals<{ url?: string }>().url };
      const held = readNodeIdentity(resolve(flags.dataDir));
      const url = flags.url ?? held?.url ?? (held ? undefined : `https://${hostname()}:7401`);
      const { entry } = await initNode({
        dataDir: flags.dataDir,
        ...(flags.id && { nodeId: flags.id }),
        ...(url && { url }),
        ...(flags.masterKeyFile && { masterKeyFile: flags.masterKeyFile }),
        ...(flags.host && { hosts: flags.host }),
      });
      process.stdout.write(JSON.stringify(entry, null, 2) + '\n');
    });
  ws.command('init')
    .description("make the workspace's TLS client certificate; prints its fingerprint, which every node pins")
    .requiredOption('--data-dir <dir>', "the workspace's data directory")
    .action(async (flags: { dataDir: string }) => {
      const tls = await initWorkspaceTls(resolve(flags.dataDir));
      process.stdout.write(JSON.stringify({ tlsCertFingerprint: tls.fingerprint }, null, 2) + '\n');
    });
}
