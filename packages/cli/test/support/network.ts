/**
 * The test network harness, the one both the CLI's tests and the end-to-end
 * tests in test/ use (those import it as `@wr/cli/test-network`: the root test
 * project references this package, and a package reached by a relative path
 * would not resolve from compiled code).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, fetch as undiciFetch, type Response as UndiciResponse } from 'undici';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkspaceClient } from 'caller-sdk';
import { startLocalNetwork, type LocalNetwork } from '../../src/dev/network.js';

/** The repository root, from packages/cli/dist/test/support. */
export const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

/** A scratch folder under the repository's .tmp/ (so `caller-sdk` resolves from it), removed by `cleanup`. */
export function scratchDir(name: string): string {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  return mkdtempSync(join(ROOT, '.tmp', `${name}-`));
}

export interface TestNetwork extends LocalNetwork {
  /** A folder whose .wr/ holds the network's files (`dir`): `wr` run here finds .wr/dev.env. */
  home: string;
  /** WR_BASE_URL and WR_API_KEY, as a user would export them. */
  env: { WR_BASE_URL: string; WR_API_KEY: string };
  /** A client that checks receipts against the admin-signed roster. */
  client: WorkspaceClient;
  /** Stops every server and removes `home` (kept with `keep`, WR_KEEP_TEST_FILES or KEEP_TMP). */
  cleanup(): Promise<void>;
}

/** A real local network (a workspace and four nodes, separate processes) on free ports, its files in `<home>/.wr`. */
export async function startTestNetwork(
  name: string,
  opts: {
    nodeCount?: number;
    keep?: boolean;
    supervise?: boolean;
    env?: Record<string, string>;
    onEvent?: (line: string) => void;
    /** postgres://...: the workspace's state there. */
    databaseUrl?: string;
    /** Workspace replicas on `databaseUrl` (default 1): `client` spreads over them, failing over between them. */
    workspaceReplicas?: number;
  } = {},
): Promise<TestNetwork> {
  const home = scratchDir(name);
  const keep = opts.keep ?? Boolean(process.env['WR_KEEP_TEST_FILES'] || process.env['KEEP_TMP']);
  const net = await startLocalNetwork({
    dir: join(home, '.wr'),
    port: 0,
    nodeCount: opts.nodeCount ?? 4,
    ...(opts.supervise !== undefined && { supervise: opts.supervise }),
    ...(opts.env && { env: opts.env }),
    ...(opts.onEvent && { onEvent: opts.onEvent }),
    ...(opts.databaseUrl && { databaseUrl: opts.databaseUrl }),
    ...(opts.workspaceReplicas && { workspaceReplicas: opts.workspaceReplicas }),
  });
  return Object.assign(net, {
    home,
    env: { WR_BASE_URL: net.baseUrl, WR_API_KEY: net.apiKey },
    client: new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.workspaces.map((w) => w.url), adminPublicKey: net.adminPublicKey }),
    cleanup: async () => {
      await net.stop();
      if (!keep) rmSync(home, { recursive: true, force: true });
    },
  });
}

/** The workspace's TLS client identity in a network's files: what nodes pin, and what a relay must present to them. */
export function workspaceTls(dir: string): { key: string; cert: string } {
  return { key: readFileSync(join(dir, 'workspace', 'tls.key'), 'utf8'), cert: readFileSync(join(dir, 'workspace', 'tls.crt'), 'utf8') };
}

/**
 * fetch as the workspace reaches a node: over mutual TLS with the workspace's certificate (a node takes no other
 * client). The node's certificate is not checked: a test talks to the node it started.
 */
export function relayFetch(dir: string): (url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<UndiciResponse> {
  const dispatcher = new Agent({ connect: { ...workspaceTls(dir), rejectUnauthorized: false, maxCachedSessions: 0 } });
  return (url, init) => undiciFetch(url, { ...init, dispatcher });
}
