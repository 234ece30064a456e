import { COMPONENTS, LIMITS, componentPath, type ComponentName } from '@wr/api';
import { randomBytes } from 'node:crypto';
import { Secret, WrError, newSessionId } from '@wr/common';
import { generateSigningKey } from '@wr/crypto';
import { ApiKeyRegistry, AuditLog, createHttpServer, listen, loadSealedSecret, measured, Sealer } from '@wr/server';
import { admitCall, verifyCall } from './auth.js';
import { abortDkg, handlers, retryPendingAborts } from './components/index.js';
import type { Handler } from './components/types.js';
import type { WorkspaceConfig } from './config.js';
import type { WorkspaceContext } from './context.js';
import { Idempotency } from './idempotency.js';
import { Network } from './network.js';
import { openApiDocument } from './openapi.js';
import { openWorkspaceDb } from './store.js';
import type { Db } from '@wr/server';
import type { FastifyReply } from 'fastify';

export interface RunningWorkspace {
  url: string;
  close(): Promise<void>;
}

/** The workspace's own Ed25519 key that signs the audit log's head, sealed under its master key. */
async function loadAuditKey(db: Db, masterKey: Secret<Uint8Array>): Promise<Secret<Uint8Array>> {
  const k = await loadSealedSecret(db, new Sealer(masterKey, 'workspace'), 'audit-signing-ed25519', async () => {
    const made = generateSigningKey();
    return { secret: made.secretKey, public: made.publicKey };
  });
  return k.secret;
}

/** Starts the workspace: the API callers reach with an API key. */
export async function startWorkspace(config: WorkspaceConfig): Promise<RunningWorkspace> {
  if (!config.nodes.some((n) => n.nodeId === config.defaultTargetNode)) {
    throw new Error(`the default target node ${config.defaultTargetNode} is not one of the nodes`);
  }
  const db = openWorkspaceDb(config.databaseFile);
  const registry = new ApiKeyRegistry(db, config.adminPublicKey);
  const http = createHttpServer({
    service: 'workspace',
    bodyLimit: LIMITS.bodyBytes,
    metricsToken: config.metricsToken ?? new Secret(randomBytes(32).toString('hex')),
    ...(config.log !== undefined ? { log: config.log } : {}),
    ...(config.logLevel ? { logLevel: config.logLevel } : {}),
  });
  const ws: WorkspaceContext = {
    config,
    db,
    http,
    network: new Network(config, db),
    registry,
    audit: new AuditLog(db, config.masterKey, await loadAuditKey(db, config.masterKey)),
  };
  const idempotency = new Idempotency(db, config.masterKey);
  const app = http.app;

  app.get('/readyz', async (_req, reply) => {
    const checks = await Promise.allSettled([...ws.network.clients.values()].map((c) => c.info()));
    const down = [...ws.network.clients.keys()].filter((_, i) => checks[i]!.status === 'rejected');
    return reply.status(down.length === 0 ? 200 : 503).send({ ok: down.length === 0, nodesDown: down });
  });
  const openapi = openApiDocument('0.1.0');
  app.get('/openapi.json', async () => openapi);

  for (const name of Object.keys(COMPONENTS) as ComponentName[]) {
    const def = COMPONENTS[name];
    const handler = handlers[name] as Handler<ComponentName>;
    app.post(
      componentPath(name),
      {
        schema: { body: def.params, response: { 200: def.result } },
        // Who calls, and may they, comes before anything is read of the body; the signature over it, before it is validated.
        onRequest: async (req) => admitCall(registry, req, name),
        preValidation: async (req) => verifyCall(registry, req, name),
      },
      async (req, reply) => {
        const caller = req.caller!;
        const auth = req.callerAuth!;
        const key = auth.idempotencyKey || undefined;
        return measured(http, name, async () => {
          const run = (sessionId: string) => handler(ws, { caller, auth, requestId: req.id, sessionId }, req.body as never);
          if (!def.mutating || key === undefined) return run(newSessionId());
          const outcome = await idempotency.run(caller.apiKeyId, key, name, idempotency.requestHash(name, req.body), run, (stale) =>
            name === 'CREATE_KEY' ? abortDkg(ws, stale) : Promise.resolve(),
          );
          if (outcome.status !== 200) {
            const e = (outcome.body as { error: { code: string; message: string } }).error;
            return (reply as FastifyReply).status(outcome.status).send({ error: { ...e, requestId: req.id, replayed: true } });
          }
          if (outcome.replayed) void reply.header('idempotent-replayed', 'true');
          return outcome.body;
        });
      },
    );
  }

  // A request for an unknown component says which exist.
  app.post('/v1/components/:name', async (req) => {
    throw new WrError('NOT_FOUND', `no component ${(req.params as { name: string }).name}; known: ${Object.keys(COMPONENTS).join(', ')}`);
  });

  // Aborts and registry changes a node missed while it was down are sent again until it answers.
  const sweepAborts = () => {
    void ws.network.pushRoster().catch(() => undefined);
    void retryPendingAborts(ws).catch(() => undefined);
    void ws.network.syncRegistry().catch(() => undefined);
  };
  const abortSweep = setInterval(sweepAborts, 2_000);
  abortSweep.unref();
  await ws.network.pushRoster();
  sweepAborts();
  app.addHook('onClose', async () => {
    clearInterval(abortSweep);
    db.close();
  });
  const url = await listen(app, config.host, config.port);
  return { url, close: () => app.close() };
}


