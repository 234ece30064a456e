import { createHttpServer, listen } from '@wr/server';
import type { NodeConfig } from './config.js';
import { requireWorkspaceToken } from './auth.js';
import { loadKeyring } from './keyring.js';
import { SessionStore } from './sessions.js';
import { ShareStore } from './store.js';
import { protocolRoutes } from './routes/protocol.js';
import { shareRoutes } from './routes/shares.js';
import type { NodeContext } from './context.js';
import { Gauge } from 'prom-client';

export interface RunningNode {
  nodeId: string;
  url: string;
  recipient: string;
  close(): Promise<void>;
}

/** Starts an MPC node: opens its database, loads (or makes) its keys, listens. */
export async function startNode(config: NodeConfig): Promise<RunningNode> {
  const store = new ShareStore(config.databaseFile, config.masterKey);
  const keyring = await loadKeyring(store);
  const http = createHttpServer({
    service: 'node',
    bodyLimit: 1024 * 1024,
    ...(config.log !== undefined ? { log: config.log } : {}),
    ...(config.logLevel ? { logLevel: config.logLevel } : {}),
  });
  new Gauge({
    name: 'wr_shares_held',
    help: 'Key shares held by this node',
    registers: [http.metrics],
    collect() {
      this.set(store.count());
    },
  });
  const ctx: NodeContext = {
    config,
    store,
    keyring,
    http,
    dkgSessions: new SessionStore(5 * 60_000),
    nonces: new SessionStore(5 * 60_000),
  };
  requireWorkspaceToken(http.app, config.authToken);
  http.app.get('/readyz', async () => ({ ok: true, nodeId: config.nodeId }));
  shareRoutes(http.app, ctx);
  protocolRoutes(http.app, ctx);
  http.app.addHook('onClose', async () => {
    ctx.dkgSessions.close();
    ctx.nonces.close();
    store.close();
  });
  const url = await listen(http.app, config.host, config.port);
  return { nodeId: config.nodeId, url, recipient: keyring.recipient, close: () => http.app.close() };
}
