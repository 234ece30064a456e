import { LIMITS, CallerAuth, SignedRoster } from '@wr/api';
import { ApiKeyRegistry, createHttpServer, listen } from '@wr/server';
import { Authorizer } from './authorize.js';
import { NodeRoster } from './roster.js';
import type { NodeConfig } from './config.js';
import { requireWorkspaceToken } from './auth.js';
import { loadKeyring } from './keyring.js';
import { SessionStore } from './sessions.js';
import { ShareStore } from './store.js';
import { protocolRoutes } from './routes/protocol.js';
import { shareRoutes } from './routes/shares.js';
import { identityRoutes } from './routes/identities.js';
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
    // A signed call carries the caller's whole body, escaped inside JSON.
    bodyLimit: 4 * LIMITS.bodyBytes,
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
    authorizer: new Authorizer(new ApiKeyRegistry(store.db, config.adminPublicKey), store.db),
    roster: new NodeRoster(store.db, config.adminPublicKey, config.nodeId, keyring),
  };
  requireWorkspaceToken(http.app, config.authToken);
  http.app.get('/readyz', async () => ({ ok: true, nodeId: config.nodeId }));
  // Registry changes come through the relay, but each is applied only if an admin key signed it.
  http.app.post<{ Body: { changes: CallerAuth[] } }>(
    '/v1/registry/changes',
    { schema: { body: { type: 'object', additionalProperties: false, required: ['changes'], properties: { changes: { type: 'array', maxItems: 500, items: CallerAuth } } } } },
    async (req) => ({
      results: req.body.changes.map((change) => {
        try {
          return { ok: true, ...ctx.authorizer.registry.apply(change) };
        } catch (err) {
          return { ok: false, code: (err as { code?: string }).code ?? 'INTERNAL' };
        }
      }),
    }),
  );
  http.app.post<{ Body: { roster: SignedRoster } }>(
    '/v1/roster',
    { schema: { body: { type: 'object', additionalProperties: false, required: ['roster'], properties: { roster: SignedRoster } } } },
    async (req) => ctx.roster.accept(req.body.roster),
  );
  shareRoutes(http.app, ctx);
  identityRoutes(http.app, ctx);
  protocolRoutes(http.app, ctx);
  http.app.addHook('onClose', async () => {
    ctx.dkgSessions.close();
    ctx.nonces.close();
    store.close();
  });
  const url = await listen(http.app, config.host, config.port);
  return { nodeId: config.nodeId, url, recipient: keyring.recipient, close: () => http.app.close() };
}
