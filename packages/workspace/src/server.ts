import { COMPONENTS, IDEMPOTENT_REPLAYED_HEADER, LIMITS, componentPath, type ComponentName, type ErrorBody } from '@wr/api';
import { randomBytes } from 'node:crypto';
import { Secret, WrError, newSessionId } from '@wr/common';
import { generateSigningKey } from '@wr/crypto';
import {
  Admission,
  ApiKeyRegistry,
  admissionMetrics,
  checkAdmissionLimits,
  createHttpServer,
  drain,
  listen,
  loadSealedSecret,
  measured,
  Sealer,
  type DrainResult,
  type SealedSecretRows,
} from '@wr/server';
import { admitCall, verifyCall } from './auth.js';
import { abortDkg, handlers, retryPendingAborts, retryPendingRefreshCommits, retryPendingReshareCommits, workflowStepOf } from './components/index.js';
import type { Handler } from './components/types.js';
import { DEFAULT_CALL_LIMITS, type WorkspaceConfig } from './config.js';
import type { WorkspaceContext } from './context.js';
import { Idempotency } from './idempotency.js';
import { Network } from './network.js';
import { serveConsole } from './console-assets.js';
import { openApiDocument } from './openapi.js';
import { SqliteWorkspaceStore, type WorkspaceStore } from './store.js';
import { PostgresWorkspaceStore } from './postgres-store.js';
import { WorkspaceAuditLog } from './audit.js';
import { RegistryLog } from './registry-log.js';
import { WorkflowRuns } from './workflow-runs.js';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface RunningWorkspace {
  url: string;
  close(): Promise<void>;
  /** A graceful stop: no new connections, the calls already received answered (within drainTimeoutMs), then close. */
  drain(): Promise<DrainResult>;
}

/** The workspace's own Ed25519 key that signs the audit log's head, sealed under its master key. */
async function loadAuditKey(store: WorkspaceStore, masterKey: Secret<Uint8Array>): Promise<Secret<Uint8Array>> {
  const rows: SealedSecretRows = {
    read: (name) => store.get('SELECT public, sealed FROM sealed_secrets WHERE name = ?', name),
    insertIfAbsent: async (name, publicPart, sealed) => {
      await store.run('INSERT INTO sealed_secrets (name, public, sealed) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING', name, publicPart, sealed);
    },
  };
  const k = await loadSealedSecret(rows, new Sealer(masterKey, 'workspace'), 'audit-signing-ed25519', async () => {
    const made = generateSigningKey();
    return { secret: made.secretKey, public: made.publicKey };
  });
  return k.secret;
}

/**
 * The calls that run a protocol across nodes, holding work on each (round state, nonces) until they end: bounded by
 * config.callLimits. A call refused there did nothing, and leaves no idempotency record; its retry runs afresh. Other
 * calls reach one node, or a few, and are bounded by the queue to each node.
 */
const BOUNDED_CALLS: ReadonlySet<ComponentName> = new Set<ComponentName>(['SIGN', 'CREATE_KEY']);

/**
 * Says, once, in the answer's Server-Timing header (`queue;dur=<ms>`), how long a bounded call was held from its
 * arrival until it was admitted, or refused: every bounded call tells what the bound held it for.
 */
function queueTimer(reply: FastifyReply): () => void {
  let said = false;
  return () => {
    if (said) return;
    said = true;
    void reply.header('server-timing', `queue;dur=${reply.elapsedTime.toFixed(0)}`);
  };
}

/**
 * The workspace, built but not listening: its database opened, its keys loaded
 * (or made), every route registered. The roster push and the sweeps start when
 * the app is ready (first `inject()` or `listen`) and stop when it closes.
 * Tests drive it with `app.inject()`.
 */
export async function buildWorkspace(config: WorkspaceConfig): Promise<{ app: FastifyInstance; ctx: WorkspaceContext }> {
  if (!config.nodes.some((n) => n.nodeId === config.defaultTargetNode)) {
    throw new WrError('CONFIG_INVALID', `defaultTargetNode: ${config.defaultTargetNode} is not one of the nodes`, { param: 'defaultTargetNode' });
  }
  const calls = new Admission(
    'calls',
    'SIGN and CREATE_KEY calls on this workspace',
    checkAdmissionLimits({ ...DEFAULT_CALL_LIMITS, ...config.callLimits }, 'callLimits'),
  );
  const store = config.databaseUrl ? await PostgresWorkspaceStore.open(config.databaseUrl) : SqliteWorkspaceStore.open(config.databaseFile);
  let ws: WorkspaceContext;
  try {
    const registry = new ApiKeyRegistry(store.registryDb, config.adminPublicKey);
    ws = {
      config,
      store,
      http: createHttpServer({
        service: 'workspace',
        bodyLimit: LIMITS.bodyBytes,
        metricsToken: config.metricsToken ?? new Secret(randomBytes(32).toString('hex')),
        ...(config.log !== undefined ? { log: config.log } : {}),
        ...(config.logLevel ? { logLevel: config.logLevel } : {}),
      }),
      network: new Network(config, store),
      registry,
      registryLog: await RegistryLog.open(store, registry),
      audit: new WorkspaceAuditLog(store, config.masterKey, await loadAuditKey(store, config.masterKey)),
      calls,
      workflowRuns: new WorkflowRuns(store, config.masterKey),
    };
  } catch (err) {
    await store.close();
    throw err;
  }
  const { http, registry } = ws;
  const idempotency = new Idempotency(store, config.masterKey, config.idempotencyLeaseMs);
  if (store.kind === 'sqlite') await idempotency.releaseLeasesOfDeadProcess();
  const app = http.app;
  admissionMetrics(http.metrics, () => [ws.calls, ...[...ws.network.clients.values()].map((c) => c.queue)]);

  app.get('/readyz', async (_req, reply) => {
    const checks = await Promise.allSettled([...ws.network.clients.values()].map((c) => c.info()));
    const down = [...ws.network.clients.keys()].filter((_, i) => checks[i]!.status === 'rejected');
    return reply.status(down.length === 0 ? 200 : 503).send({ ok: down.length === 0, nodesDown: down });
  });
  const openapi = openApiDocument('0.1.0');
  app.get('/openapi.json', async () => openapi);
  serveConsole(app);

  for (const name of Object.keys(COMPONENTS) as ComponentName[]) {
    const def = COMPONENTS[name];
    const handler = handlers[name] as Handler<ComponentName>;
    app.post(
      componentPath(name),
      {
        schema: { body: def.params, response: { 200: def.result } },
        // Who calls, and may they, comes before anything is read of the body; the signature over it, before it is validated.
        // A bounded call the server would refuse anyway is refused here, before its body is read and its signature checked.
        onRequest: async (req, reply) => {
          // Changes other replicas accepted (a key made or revoked, a policy set) hold here from the next call on.
          await ws.registryLog.catchUp();
          admitCall(registry, req, name);
          if (!BOUNDED_CALLS.has(name)) return;
          try {
            ws.calls.refuseIfFull();
          } catch (err) {
            queueTimer(reply)();
            throw err;
          }
        },
        preValidation: async (req) => {
          verifyCall(registry, req, name);
          // A step of a workflow run this caller created: the run's record follows the call, from here (a body refused next fails the step).
          req.workflowStep = await workflowStepOf(ws, req.caller!.apiKeyId, req.callerAuth!.idempotencyKey || undefined, name);
        },
        onError: async (req, _reply, err) => req.workflowStep?.refused(err),
      },
      async (req, reply) => {
        const caller = req.caller!;
        const auth = req.callerAuth!;
        const key = auth.idempotencyKey || undefined;
        const bounded = BOUNDED_CALLS.has(name);
        const step = req.workflowStep;
        // Commits of writes the handler staged: the call is answered only once they are on disk.
        const durable: Promise<unknown>[] = [];
        const execute = async () => {
          await step?.started();
          const run = async (sessionId: string) => {
            try {
              const result = await handler(ws, { caller, auth, requestId: req.id, sessionId, durable }, req.body as never);
              await step?.ended({ result });
              return result;
            } catch (err) {
              await step?.ended({ error: err });
              throw err;
            }
          };
          if (!def.mutating || key === undefined) {
            const result = await run(newSessionId());
            await Promise.all(durable);
            return result;
          }
          const outcome = await idempotency.run(
            caller.apiKeyId,
            key,
            name,
            idempotency.requestHash(name, req.body),
            run,
            name === 'CREATE_KEY' ? (stale) => abortDkg(ws, stale) : undefined,
          );
          if (!outcome.ok) {
            await step?.ended({ error: new WrError(outcome.error.code, outcome.error.message) });
            const replayed: ErrorBody = { error: { ...outcome.error, requestId: req.id, replayed: true } };
            return (reply as FastifyReply).status(outcome.status).send(replayed);
          }
          if (outcome.replayed) {
            await step?.ended({ result: outcome.result });
            void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
          }
          // Staged writes share the idempotency record's commit, or one before it.
          await Promise.all(durable);
          return outcome.result;
        };
        if (!bounded) return measured(http, name, execute);
        const waited = queueTimer(reply);
        return measured(http, name, () =>
          calls
            .run(() => (waited(), execute()))
            .catch((err: unknown) => {
              waited();
              throw err;
            }),
        );
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
    void retryPendingRefreshCommits(ws).catch(() => undefined);
    void retryPendingReshareCommits(ws).catch(() => undefined);
    void ws.network.syncRegistry().catch(() => undefined);
  };
  let abortSweep: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    await ws.network.pushRoster();
    sweepAborts();
    abortSweep = setInterval(sweepAborts, 2_000);
    abortSweep.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(abortSweep);
    await ws.network.close();
    await store.close();
  });
  return { app, ctx: ws };
}

/** Starts the workspace, the API callers reach with an API key, and listens. */
export async function startWorkspace(config: WorkspaceConfig): Promise<RunningWorkspace> {
  const { app } = await buildWorkspace(config);
  const url = await listen(app, config.host, config.port);
  return {
    url,
    close: () => app.close(),
    drain: () => drain(app, { unavailableCode: 'WORKSPACE_UNAVAILABLE', ...(config.drainTimeoutMs !== undefined && { timeoutMs: config.drainTimeoutMs }) }),
  };
}
