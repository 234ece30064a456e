/**
 * A workspace in this process, driven with app.inject(), in front of real
 * nodes (buildNode) listening on loopback ports the OS picks: the workspace
 * talks to them over HTTP, as it does in production. Calls are signed as the
 * SDK signs them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { after, before, describe } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { componentPath, type ComponentName, type ErrorBody } from '@wr/api';
import { Secret } from '@wr/common';
import { buildNode } from '@wr/node';
import { listen } from '@wr/server';
import { postgresMissing, startPostgres, type TestPostgres } from '@wr/server/test-postgres';
import { ApiKey, generateApiKey, signedHeaders } from 'caller-sdk';
import { buildWorkspace } from '../src/server.js';
import { PostgresWorkspaceStore } from '../src/postgres-store.js';
import { SqliteWorkspaceStore, type WorkspaceStore } from '../src/store.js';
import type { WorkspaceConfig } from '../src/config.js';
import type { WorkspaceContext } from '../src/context.js';

export interface TestNode {
  nodeId: string;
  app: FastifyInstance;
  ctx: Awaited<ReturnType<typeof buildNode>>['ctx'];
  url: string;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  json: Record<string, unknown> & Partial<ErrorBody>;
}

export interface TestWorkspace {
  app: FastifyInstance;
  ctx: WorkspaceContext;
  /** The root admin key: every scope. */
  admin: ApiKey;
  nodes: TestNode[];
  config: WorkspaceConfig;
  /**
   * A call signed as the SDK signs it, with a fresh idempotency key unless one is given ('' sends none). A string
   * body is sent as it is; `signed` is the text the signature covers instead of the body, or false for no signature.
   */
  call(component: ComponentName | string, body: unknown, opts?: CallOptions): Promise<Answer>;
  /** Calls signed as `call` signs them, to another app (a workspace built on this one's config). */
  callOn(app: FastifyInstance): TestWorkspace['call'];
  /** Another workspace on the same database and nodes, as a second replica is (PostgreSQL only): its own app, calls signed alike. */
  replica(): Promise<Pick<TestWorkspace, 'app' | 'ctx' | 'call' | 'close'>>;
  close(): Promise<void>;
}

type CallOptions = { key?: ApiKey; idempotencyKey?: string; signed?: string | false };

/** The stores every store-dependent test runs against (eachStore). */
const STORES = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORES)[number];

/** For describe(): PostgreSQL's tests are skipped, saying why, where it is not installed; SQLite's always run. */
const storeSkip = (kind: StoreKind): string | false => (kind === 'postgres' && postgresMissing()) || false;

/** The PostgreSQL server of the test file's `eachStore` suite, started when a test first asks for it. */
let fileServer: { started?: Promise<TestPostgres> } | undefined;
let databases = 0;

/**
 * Runs `suite` once per store, each in a describe() named after it. On PostgreSQL, one server serves the whole suite
 * (a fresh database for each workspace or store): starting one is the slow part, a database is not.
 */
export function eachStore(suite: (kind: StoreKind) => void): void {
  for (const kind of STORES) {
    describe(kind, { skip: storeSkip(kind) }, () => {
      if (kind === 'postgres') before(() => void (fileServer = {}));
      suite(kind);
      // Registered after the suite's own hooks, so it runs after them: its workspaces are closed by then.
      if (kind === 'postgres') {
        after(async () => {
          const server = fileServer?.started;
          fileServer = undefined;
          await (await server?.catch(() => undefined))?.stop();
        });
      }
    });
  }
}

/** A new, empty database on the PostgreSQL server of this file's `eachStore` suite: its URL, and the server. */
export async function testDatabase(): Promise<{ url: string; server: TestPostgres }> {
  if (!fileServer) throw new Error('a PostgreSQL database is for tests inside eachStore(), whose suite stops its server');
  const server = await (fileServer.started ??= startPostgres());
  return { url: await server.createDatabase(`workspace_${++databases}`), server };
}

/** A store on its own (no workspace): a fresh workspace.db, or a fresh database of the file's PostgreSQL server. */
export async function openTestStore(kind: StoreKind): Promise<{
  store: WorkspaceStore;
  /** Everything the store keeps at rest, as someone who copies the file or dumps the database sees it. */
  atRest(): string;
  close(): Promise<void>;
}> {
  if (kind === 'postgres') {
    const { url, server } = await testDatabase();
    const store = await PostgresWorkspaceStore.open(url);
    return { store, atRest: () => server.dump(url), close: () => store.close() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'wr-workspace-store-'));
  const file = join(dir, 'workspace.db');
  const store = SqliteWorkspaceStore.open(file);
  return {
    store,
    atRest: () => {
      store.db.pragma('wal_checkpoint(TRUNCATE)');
      return Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f))).toString('latin1');
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh API key (not registered anywhere). */
export const newApiKey = () => new ApiKey(generateApiKey().apiKey);

export async function startTestWorkspace(opts: { nodeCount?: number; config?: Partial<WorkspaceConfig>; store?: StoreKind } = {}): Promise<TestWorkspace> {
  const dir = mkdtempSync(join(tmpdir(), 'wr-workspace-test-'));
  // On PostgreSQL: a database of its own on the server of the file's eachStore suite.
  const database = opts.store === 'postgres' ? await testDatabase() : undefined;
  const admin = newApiKey();
  const masterKey = () => new Secret(new Uint8Array(randomBytes(32)));
  const nodes: (TestNode & { token: Secret<string> })[] = [];
  for (let i = 1; i <= (opts.nodeCount ?? 2); i++) {
    const nodeId = `node-${i}`;
    const token = new Secret(randomBytes(16).toString('hex'));
    const { app, ctx } = await buildNode({
      nodeId,
      host: '127.0.0.1',
      port: 0,
      databaseFile: join(dir, `${nodeId}.db`),
      masterKey: masterKey(),
      authToken: token,
      adminPublicKey: admin.publicKey,
      log: false,
    });
    nodes.push({ nodeId, app, ctx, url: await listen(app, '127.0.0.1', 0), token });
  }
  const roster = admin.signRoster({
    version: 1,
    issuedAt: new Date().toISOString(),
    nodes: nodes.map(({ nodeId, ctx: { keyring: k } }) => ({
      nodeId,
      signingKey: k.signingPublicKey,
      recipientKey: k.recipient,
      postQuantumRecipientKey: k.postQuantumRecipient,
    })),
  });
  const config: WorkspaceConfig = {
    host: '127.0.0.1',
    port: 0,
    databaseFile: join(dir, 'workspace.db'),
    masterKey: masterKey(),
    nodes: nodes.map((n) => ({ nodeId: n.nodeId, url: n.url, token: n.token })),
    defaultTargetNode: nodes[nodes.length - 1]!.nodeId,
    adminPublicKey: admin.publicKey,
    roster,
    nodeTimeoutMs: 5_000,
    log: false,
    ...(database && { databaseUrl: database.url }),
    ...opts.config,
  };
  const { app, ctx } = await buildWorkspace(config);
  const callOn =
    (app: FastifyInstance): TestWorkspace['call'] =>
    async (component, body, o = {}) => {
      const payload = typeof body === 'string' ? body : JSON.stringify(body);
      const headers = o.signed === false ? {} : signedHeaders(o.key ?? admin, component, o.signed ?? payload, o.idempotencyKey ?? randomUUID());
      if (o.idempotencyKey === '') delete headers['idempotency-key'];
      const url = componentPath(component as ComponentName);
      const r = await app.inject({ method: 'POST', url, payload, headers: { ...headers, 'content-type': 'application/json' } });
      return { status: r.statusCode, headers: r.headers, json: r.json() };
    };
  return {
    app,
    ctx,
    admin,
    nodes,
    config,
    call: callOn(app),
    callOn,
    async replica() {
      if (!config.databaseUrl) throw new Error('replicas share a PostgreSQL database: start the workspace with store: postgres');
      const other = await buildWorkspace(config);
      return { ...other, call: callOn(other.app), close: () => other.app.close() };
    },
    async close() {
      await app.close();
      await Promise.all(nodes.map((n) => n.app.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
