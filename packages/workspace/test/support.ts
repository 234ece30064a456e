/**
 * A workspace in this process, driven with app.inject(), in front of real
 * nodes (buildNode) listening on loopback ports the OS picks: the workspace
 * talks to them over HTTP, as it does in production. Calls are signed as the
 * SDK signs them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
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
  call(component: ComponentName | string, body: unknown, opts?: { key?: ApiKey; idempotencyKey?: string; signed?: string | false }): Promise<Answer>;
  close(): Promise<void>;
}

/** The stores every store-dependent test runs against. */
export const STORES = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORES)[number];

/** For describe(): PostgreSQL's tests are skipped, saying why, where it is not installed; SQLite's always run. */
export const storeSkip = (kind: StoreKind): string | false => (kind === 'postgres' && postgresMissing()) || false;

/** A fresh API key (not registered anywhere). */
export const newApiKey = () => new ApiKey(generateApiKey().apiKey);

export async function startTestWorkspace(
  opts: { nodeCount?: number; config?: Partial<WorkspaceConfig>; store?: StoreKind } = {},
): Promise<TestWorkspace & { postgres?: TestPostgres }> {
  const dir = mkdtempSync(join(tmpdir(), 'wr-workspace-test-'));
  // On PostgreSQL: a server of its own, stopped with the workspace.
  const postgres = opts.store === 'postgres' ? await startPostgres() : undefined;
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
    ...(postgres && { databaseUrl: await postgres.createDatabase('workspace') }),
    ...opts.config,
  };
  const { app, ctx } = await buildWorkspace(config);
  return {
    app,
    ctx,
    admin,
    nodes,
    config,
    ...(postgres && { postgres }),
    async call(component, body, o = {}) {
      const payload = typeof body === 'string' ? body : JSON.stringify(body);
      const headers = o.signed === false ? {} : signedHeaders(o.key ?? admin, component, o.signed ?? payload, o.idempotencyKey ?? randomUUID());
      if (o.idempotencyKey === '') delete headers['idempotency-key'];
      const url = componentPath(component as ComponentName);
      const r = await app.inject({ method: 'POST', url, payload, headers: { ...headers, 'content-type': 'application/json' } });
      return { status: r.statusCode, headers: r.headers, json: r.json() };
    },
    async close() {
      await app.close();
      await Promise.all(nodes.map((n) => n.app.close()));
      await postgres?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
