import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalNetwork, type LocalNetwork } from '@wr/cli';
import { WorkspaceClient } from 'caller-sdk';

/** The repository root, from test/dist/support. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SHARED = join(ROOT, '..', 'shared');

/** A scratch folder inside the repository (so `caller-sdk` resolves from it), removed by `cleanup`. */
export function scratchDir(name: string): string {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  return mkdtempSync(join(ROOT, '.tmp', `${name}-`));
}

export interface TestNetwork extends LocalNetwork {
  client: WorkspaceClient;
  cleanup(): Promise<void>;
}

/** A real local network (a workspace and four nodes, separate processes) on free ports. */
export async function startTestNetwork(name: string, opts: { nodeCount?: number; keep?: boolean } = {}): Promise<TestNetwork> {
  const dir = scratchDir(name);
  const net = await startLocalNetwork({ dir, port: 0, nodeCount: opts.nodeCount ?? 4 });
  const client = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, adminPublicKey: net.adminPublicKey });
  return Object.assign(net, {
    client,
    cleanup: async () => {
      await net.stop();
      if (!opts.keep) rmSync(dir, { recursive: true, force: true });
    },
  });
}
