import { LIMITS } from '@wr/api';
import { WrError } from '@wr/common';
import {
  Admission,
  ApiKeyRegistry,
  AuditLog,
  GroupCommit,
  admissionMetrics,
  checkAdmissionLimits,
  createHttpServer,
  drain,
  isLoopback,
  listen,
  type DrainResult,
} from '@wr/server';
import { Authorizer } from './authorize.js';
import { NodeRoster } from './roster.js';
import { route } from './routes/route.js';
import { DEFAULT_STEP_LIMITS, type NodeConfig } from './config.js';
import { requireWorkspaceToken } from './auth.js';
import { loadKeyring } from './keyring.js';
import { SessionStore } from './sessions.js';
import { ShareStore } from './store.js';
import { lifecycleRoutes } from './routes/lifecycle.js';
import { repairRoutes } from './routes/repair.js';
import { reshareRoutes } from './routes/reshare.js';
import { protocolRoutes } from './routes/protocol.js';
import { shareRoutes } from './routes/shares.js';
import { batchRoutes } from './routes/batch.js';
import { identityRoutes } from './routes/identities.js';
import { backupRoutes, resumeBackups } from './backups.js';
import type { NodeContext } from './context.js';
import { ImportPool, defaultImportWorkers } from './workers/import-pool.js';
import { Gauge } from 'prom-client';
import type { FastifyInstance } from 'fastify';

export interface RunningNode {
  nodeId: string;
  url: string;
  recipient: string;
  close(): Promise<void>;
  /** A graceful stop: no new connections, the requests already received answered (within drainTimeoutMs), then close. */
  drain(): Promise<DrainResult>;
}

/**
 * An MPC node, built but not listening: its database opened, its keys loaded
 * (or made), every route registered. Tests drive it with `app.inject()`.
 */
export async function buildNode(config: NodeConfig): Promise<{ app: FastifyInstance; ctx: NodeContext }> {
  const stepLimits = checkAdmissionLimits({ ...DEFAULT_STEP_LIMITS, ...config.stepLimits }, 'stepLimits');
  const store = new ShareStore(config.databaseFile, config.masterKey);
  const keyring = await loadKeyring(store);
  const http = createHttpServer({
    service: 'node',
    // A signed call carries the caller's whole body, escaped inside JSON.
    bodyLimit: 4 * LIMITS.bodyBytes,
    ...(config.tls && { tls: config.tls }),
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
    steps: new Admission('steps', `heavy protocol steps on ${config.nodeId}`, stepLimits),
    log: new AuditLog(store.db, config.masterKey, keyring.signingKey),
    commits: new GroupCommit(store.db),
    imports: new ImportPool(config.importWorkers ?? defaultImportWorkers(), keyring.identities),
  };
  admissionMetrics(http.metrics, () => [ctx.steps]);
  requireWorkspaceToken(http.app, config.authToken);
  http.app.get('/readyz', async () => ({ ok: true, nodeId: config.nodeId }));
  // Registry changes and the roster come through the relay, but each is taken only if the admin key signed it.
  route(http.app, 'registryChanges', async (req) => ({
    results: req.body.changes.map((change) => {
      try {
        const applied = ctx.authorizer.registry.apply(change);
        if (applied.changed) ctx.log.append(change.apiKeyId, `registry.${change.component.toLowerCase()}`, { apiKeyId: applied.apiKeyId });
        return { ok: true, ...applied };
      } catch (err) {
        return { ok: false, code: (err as { code?: string }).code ?? 'INTERNAL' };
      }
    }),
  }));
  route(http.app, 'roster', async (req) => {
    const r = ctx.roster.accept(req.body.roster);
    if (r.changed) ctx.log.append('root admin', 'roster.accept', { version: r.version });
    return r;
  });
  route(http.app, 'log', async (req) => ({ events: ctx.log.list(Number(req.query.after ?? 0), Number(req.query.limit ?? 100)) }));
  route(http.app, 'logVerify', async () => ctx.log.verify());
  shareRoutes(http.app, ctx);
  batchRoutes(http.app, ctx);
  identityRoutes(http.app, ctx);
  protocolRoutes(http.app, ctx);
  lifecycleRoutes(http.app, ctx);
  backupRoutes(http.app, ctx);
  reshareRoutes(http.app, ctx);
  repairRoutes(http.app, ctx);
  http.app.addHook('onClose', async () => {
    ctx.dkgSessions.close();
    ctx.nonces.close();
    await ctx.imports.close();
    store.close();
  });
  return { app: http.app, ctx };
}

/** Starts an MPC node and listens. */
export async function startNode(config: NodeConfig): Promise<RunningNode> {
  if (!config.tls && !isLoopback(config.host)) {
    throw new WrError(
      'CONFIG_INVALID',
      `host ${config.host}: a node listens beyond loopback only over mutual TLS: run wr node init --data-dir DIR, then start with that ` +
        'data dir (or pass --tls-key-file, --tls-cert-file and --workspace-cert-fingerprint)',
      { param: 'host' },
    );
  }
  const { app, ctx } = await buildNode(config);
  const url = await listen(app, config.host, config.port);
  void resumeBackups(ctx).catch(() => undefined);
  return {
    nodeId: config.nodeId,
    url,
    recipient: ctx.keyring.recipient,
    close: () => app.close(),
    drain: () => drain(app, { unavailableCode: 'NODE_UNAVAILABLE', ...(config.drainTimeoutMs !== undefined && { timeoutMs: config.drainTimeoutMs }) }),
  };
}
