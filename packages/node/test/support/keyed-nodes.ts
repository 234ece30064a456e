/**
 * Three nodes built in process (app.inject(), no sockets), handed an
 * admin-signed roster, holding a 2-of-3 frost-secp256k1 key made by their own
 * DKG; the test drives them as the relay. One set of nodes per test file.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { apiKeyIdOf, callMessage, rosterMessage, type CallerAuth, type Roster } from '@wr/api';
import { Secret, publicKeyOfSeed, signRaw, toHex } from '@wr/common';
import { buildNode } from '../../src/server.js';
import type { NodeContext } from '../../src/context.js';

const seed = new Secret(new Uint8Array(randomBytes(32)));
const rootPublicKey = toHex(publicKeyOfSeed(seed));

/** A call signed by the root admin key, as a caller signs it. */
export function sign(component: string, params: object): CallerAuth {
  const body = JSON.stringify(params);
  const [idempotencyKey, timestamp] = [`t-${Math.random()}`, Date.now()];
  const signature = toHex(signRaw(seed, callMessage({ component, idempotencyKey, timestamp, body })));
  return { apiKeyId: apiKeyIdOf(rootPublicKey), component, idempotencyKey, timestamp, body, signature };
}

/** Signs as the root admin key (a roster, say). */
export const signAsAdmin = (message: Uint8Array) => toHex(signRaw(seed, message));

const TOKEN = 'workspace-credential';
let dir: string;
export const nodes: { nodeId: string; app: FastifyInstance; ctx: NodeContext }[] = [];
export type Json = Record<string, unknown> & { error?: { code: string; message: string } };

/** A POST to node `i` with the workspace's credential: what a relay can send. */
export const post = async (i: number, url: string, payload: unknown): Promise<{ status: number; json: Json }> => {
  const r = await nodes[i]!.app.inject({ method: 'POST', url, payload: payload as object, headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: r.statusCode, json: r.json() as Json };
};
export const ok = async (p: Promise<{ status: number; json: Json }>): Promise<Json> => {
  const r = await p;
  assert.equal(r.status, 200, JSON.stringify(r.json.error));
  return r.json;
};
export const all = <T>(fn: (i: number) => Promise<T>) => Promise.all(nodes.map((_, i) => fn(i)));
let n = 0;
export const session = () => `ses_${String(++n).padStart(26, '0')}`;

/** Starts the nodes, hands them the roster and makes the key; its group key and each node's share. */
export async function startKeyedNodes(name: string): Promise<{ publicKey: string; shares: { keyId: string; identifier: string }[] }> {
  dir = mkdtempSync(join(tmpdir(), `wr-node-${name}-`));
  for (const nodeId of ['node-1', 'node-2', 'node-3']) {
    const { app, ctx } = await buildNode({
      nodeId,
      host: '127.0.0.1',
      port: 0,
      databaseFile: join(dir, `${nodeId}.db`),
      masterKey: new Secret(new Uint8Array(randomBytes(32))),
      authToken: new Secret(TOKEN),
      adminPublicKey: rootPublicKey,
      log: false,
    });
    nodes.push({ nodeId, app, ctx });
  }
  const roster: Roster = {
    version: 1,
    issuedAt: new Date().toISOString(),
    nodes: nodes.map(({ nodeId, ctx }) => ({
      nodeId,
      signingKey: ctx.keyring.signingPublicKey,
      recipientKey: ctx.keyring.recipient,
      postQuantumRecipientKey: ctx.keyring.postQuantumRecipient,
    })),
  };
  const text = JSON.stringify(roster);
  await all((i) => ok(post(i, '/v1/roster', { roster: { roster: text, signature: signAsAdmin(rosterMessage(text)) } })));

  // A 2-of-3 key made by the nodes' own DKG.
  const sessionId = session();
  const auth = sign('CREATE_KEY', { scheme: 'frost-secp256k1', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] });
  const participants = nodes.map(({ ctx }, i) => ({
    identifier: '00'.repeat(31) + `0${i + 1}`,
    recipient: ctx.keyring.recipient,
    signingKey: ctx.keyring.signingPublicKey,
  }));
  const r1 = await all((i) => ok(post(i, '/v1/dkg/round1', { sessionId, participants, self: participants[i]!.identifier, auth })));
  const r2 = await all((i) => ok(post(i, '/v1/dkg/round2', { sessionId, round1: r1.map((r) => r['message']) })));
  const round2 = r2.flatMap((r) => r['messages'] as { to: string }[]);
  const r3 = await all((i) => ok(post(i, '/v1/dkg/round3', { sessionId, round2: round2.filter((m) => m.to === participants[i]!.identifier) })));
  await all((i) => ok(post(i, '/v1/dkg/commit', { sessionId })));
  return { publicKey: r3[0]!['publicKey'] as string, shares: r3.map((r) => ({ keyId: r['keyId'] as string, identifier: r['identifier'] as string })) };
}

export async function stopKeyedNodes(): Promise<void> {
  for (const { app } of nodes) await app.close();
  rmSync(dir, { recursive: true, force: true });
}
