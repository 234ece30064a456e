import { fromHex, newSessionId, toHex, WrError } from '@wr/common';
import { aggregateSignature, decodePublicKeyPackage, identifierFor, type DkgRound2Message, type SchemeName, type SigningCommitments } from '@wr/crypto';
import { signedBody, type WorkspaceContext } from '../context.js';
import type { ShareInfo } from '../node-client.js';
import { LIMITS, sha256Hex, type ComponentResult } from '@wr/api';
import type { Handlers } from './types.js';

export function keyInfo(nodeId: string, s: ShareInfo) {
  return {
    keyId: s.keyId,
    nodeId,
    publicKey: s.publicKey,
    scheme: s.scheme,
    identifier: s.identifier,
    threshold: s.minSigners,
    maxSigners: s.maxSigners,
    origin: s.origin,
    exportable: s.exportable,
    epoch: s.epoch,
    createdAt: s.createdAt,
  };
}

/**
 * Removes whatever a failed or abandoned DKG session left on the nodes. The
 * abort is written down first, one row per node, and a row goes only once its
 * node answered: a node that is down (and may hold a round-3 share it stored
 * just before it died) is told when it is back (retryPendingAborts).
 */
export async function abortDkg(ws: WorkspaceContext, sessionId: string): Promise<void> {
  // A session whose every share was stored is committed by the retry, not aborted.
  if (await ws.store.get('SELECT 1 AS one FROM dkg_results WHERE session_id = ?', sessionId)) return;
  const now = new Date().toISOString();
  await ws.store.transaction('dkg aborts', async (tx) => {
    for (const nodeId of ws.network.clients.keys()) {
      await tx.run('INSERT INTO pending_dkg_aborts (session_id, node_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', sessionId, nodeId, now);
    }
  });
  await retryPendingAborts(ws, sessionId);
}

/** Sends the aborts not yet acknowledged (of one session, or all); a node that does not answer keeps its row. */
export async function retryPendingAborts(ws: WorkspaceContext, sessionId?: string): Promise<void> {
  const rows = await (sessionId === undefined
    ? ws.store.all<{ session_id: string; node_id: string }>('SELECT session_id, node_id FROM pending_dkg_aborts')
    : ws.store.all<{ session_id: string; node_id: string }>('SELECT session_id, node_id FROM pending_dkg_aborts WHERE session_id = ?', sessionId));
  const done = (r: { session_id: string; node_id: string }) =>
    ws.store.run('DELETE FROM pending_dkg_aborts WHERE session_id = ? AND node_id = ?', r.session_id, r.node_id);
  await Promise.all(
    rows.map(async (r) => {
      const client = ws.network.clients.get(r.node_id);
      try {
        if (client) await client.call('dkgAbort', { body: { sessionId: r.session_id } });
        await done(r);
      } catch (err) {
        // A node down or busy keeps its row: the next sweep tells it.
        if (!(err instanceof WrError && (err.code === 'NODE_UNAVAILABLE' || err.code === 'RESOURCE_EXHAUSTED'))) await done(r);
      }
    }),
  );
}

type CreateKeyResult = ComponentResult<'CREATE_KEY'>;

/**
 * Tells every participant that all shares are stored, so each may use its
 * own. Until then a share is pending: it neither signs nor exports, and only
 * then may an abort remove it. A node that does not answer fails the call as
 * retryable; the retry (same idempotency key) commits again.
 */
async function commitDkg(ws: WorkspaceContext, requestId: string, sessionId: string, result: CreateKeyResult): Promise<CreateKeyResult> {
  const committed = await allSettledOrThrow(result.shares.map((s) => ws.network.client(s.nodeId).call('dkgCommit', { body: { sessionId } }, requestId))).catch(
    (err) => {
      throw new WrError(
        'NODE_UNAVAILABLE',
        `the key was made, but a node did not confirm it (${(err as Error).message}): retry with the same idempotency key`,
        { retryable: true },
      );
    },
  );
  // What each node answered is what getShare would: the key's first SIGN need not ask for it.
  committed.forEach((c, i) => ws.network.learn(result.shares[i]!.nodeId, c));
  // Each node's receipt: the caller can check that the key is on the nodes it named, as it asked.
  return { ...result, shares: result.shares.map((s, i) => ({ ...s, receipt: committed[i]!.receipt })) };
}

/** Like Promise.all, but waits for every request to end before failing: an abort then comes after them all. */
export async function allSettledOrThrow<T>(calls: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(calls);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

export const keyComponents: Pick<Handlers, 'CREATE_KEY' | 'SIGN' | 'LIST_KEYS' | 'GET_KEY' | 'DELETE_KEY_SHARE'> = {
  async CREATE_KEY(ws, call, p) {
    const resumed = await ws.store.get<{ session_id: string; result: string }>(
      'SELECT session_id, result FROM dkg_results WHERE api_key_id = ? AND idempotency_key = ?',
      call.caller.apiKeyId,
      call.auth.idempotencyKey,
    );
    if (resumed && call.auth.idempotencyKey) return commitDkg(ws, call.requestId, resumed.session_id, JSON.parse(resumed.result) as CreateKeyResult);
    const nodeIds = p.nodeIds ?? ws.network.roster.nodes.map((n) => n.nodeId);
    if (p.threshold > nodeIds.length) {
      throw new WrError('INVALID_ARGUMENT', `threshold: ${p.threshold} is more than the ${nodeIds.length} nodes taking part`, { param: 'threshold' });
    }
    const clients = nodeIds.map((id) => ws.network.client(id, 'nodeIds'));
    const keys = nodeIds.map((id) => ws.network.keys(id));
    const scheme = p.scheme as SchemeName;
    const participants = keys.map((k, i) => ({ identifier: identifierFor(scheme, i + 1), recipient: k.recipientKey, signingKey: k.signingKey }));
    const sessionId = call.sessionId;
    let result: CreateKeyResult;
    try {
      // The workspace relays each round; round-2 packages are sealed to their receiver and it cannot read them.
      const r1 = await allSettledOrThrow(
        clients.map((c, i) =>
          c.call('dkgRound1', { body: { sessionId, participants, self: participants[i]!.identifier, ...signedBody(call) } }, call.requestId),
        ),
      );
      const round1 = r1.map((r) => r.message);
      const r2 = await allSettledOrThrow(clients.map((c) => c.call('dkgRound2', { body: { sessionId, round1 } }, call.requestId)));
      const round2 = r2.flatMap((r) => r.messages) as unknown as DkgRound2Message[];
      const r3 = await allSettledOrThrow(
        clients.map((c, i) => c.call('dkgRound3', { body: { sessionId, round2: round2.filter((m) => m.to === participants[i]!.identifier) } }, call.requestId)),
      );
      const publicKey = r3[0]!.publicKey;
      if (r3.some((s) => s.publicKey !== publicKey || s.publicPackage !== r3[0]!.publicPackage)) {
        throw new WrError('INTERNAL', 'the nodes finished key generation with different public keys; nothing was kept');
      }
      // The key's public package is checked here, once, as it enters the workspace (SIGN's aggregation finds it checked).
      const pub = decodePublicKeyPackage(r3[0]!.publicPackage);
      if (pub.groupPublicKey !== publicKey || pub.scheme !== scheme) {
        throw new WrError('INTERNAL', "the nodes' public key package does not match the key they made; nothing was kept");
      }
      for (const [i, s] of r3.entries()) await ws.network.remember(s.keyId, nodeIds[i]!, s.publicKey, s.identifier);
      const shares = r3.map((s, i) => ({ nodeId: nodeIds[i]!, keyId: s.keyId, identifier: s.identifier }));
      result = { publicKey, scheme, threshold: p.threshold, shares };
      // Every share is stored (pending): from here the key is committed, never aborted; a retry resumes here.
      await ws.store.run(
        'INSERT INTO dkg_results (api_key_id, idempotency_key, session_id, result) VALUES (?, ?, ?, ?)',
        call.caller.apiKeyId,
        call.auth.idempotencyKey || sessionId,
        sessionId,
        JSON.stringify(result),
      );
      await ws.audit.append(call.caller.apiKeyId, 'key.create', { publicKey, scheme, threshold: p.threshold, exportable: p.exportable ?? true, shares });
    } catch (err) {
      await abortDkg(ws, sessionId);
      throw err;
    }
    return commitDkg(ws, call.requestId, sessionId, result);
  },

  // A share deleted behind the workspace's back is NOT_FOUND once, then looked up afresh.
  SIGN: (ws, call, p) =>
    ws.network.forgettingOnNotFound(p.keyIds, async () => {
      if (new Set(p.keyIds).size !== p.keyIds.length) throw new WrError('INVALID_ARGUMENT', 'keyIds: a keyId is repeated', { param: 'keyIds' });
      const message = fromHex(p.message, 'message');
      const located = await Promise.all(p.keyIds.map((id) => ws.network.locate(id)));
      const first = located[0]!.share;
      if (located.some((l) => l.share.publicPackage !== first.publicPackage)) {
        throw new WrError('INVALID_ARGUMENT', 'keyIds: the shares belong to different keys', { param: 'keyIds' });
      }
      const ids = located.map((l) => l.share.identifier);
      if (new Set(ids).size !== ids.length) {
        throw new WrError('INVALID_ARGUMENT', 'keyIds: two shares have the same participant identifier; a quorum needs distinct participants', {
          param: 'keyIds',
        });
      }
      if (located.length < first.minSigners) {
        throw new WrError('INVALID_ARGUMENT', `keyIds: this key needs ${first.minSigners} shares to sign, got ${located.length}`, { param: 'keyIds' });
      }
      const sessionId = newSessionId();
      const r1 = await allSettledOrThrow(
        located.map((l) => l.client.call('signRound1', { body: { sessionId, keyId: l.share.keyId, ...signedBody(call) } }, call.requestId)),
      );
      const commitments = r1.map((r) => r.commitments) as unknown as SigningCommitments[];
      const r2 = await Promise.all(located.map((l) => l.client.call('signRound2', { body: { sessionId, keyId: l.share.keyId, commitments } }, call.requestId)));
      const shares = Object.fromEntries(located.map((l, i) => [l.share.identifier, r2[i]!.signatureShare]));
      const signature = aggregateSignature(first.scheme as SchemeName, decodePublicKeyPackage(first.publicPackage), commitments, message, shares);
      await ws.audit.append(
        call.caller.apiKeyId,
        'key.sign',
        {
          publicKey: first.publicKey,
          keyIds: p.keyIds,
          messageSha256: sha256Hex(message),
        },
        call,
      );
      return { signature: toHex(signature), publicKey: first.publicKey };
    }),

  /**
   * A keyset page: each node gives its first `limit` shares after the cursor, in
   * key id order, and the merged page keeps the first `limit` of those. A node
   * that does not answer is named, never silently left out; asked for by
   * nodeId, it fails the call.
   */
  async LIST_KEYS(ws, _call, p) {
    const limit = p.limit ?? LIMITS.pageDefault;
    const clients = p.nodeId ? [ws.network.client(p.nodeId)] : [...ws.network.clients.values()];
    const lists = await Promise.allSettled(clients.map(async (c) => (await c.shares(p.cursor, limit)).shares.map((s) => keyInfo(c.nodeId, s))));
    const unavailableNodes: string[] = [];
    lists.forEach((l, i) => {
      // Only a node that did not answer is left out; any other failure fails the list.
      if (l.status === 'fulfilled') return;
      if (p.nodeId || !(l.reason instanceof WrError && l.reason.code === 'NODE_UNAVAILABLE')) throw l.reason;
      unavailableNodes.push(clients[i]!.nodeId);
    });
    const pages = lists.flatMap((l) => (l.status === 'fulfilled' ? [l.value] : []));
    const merged = pages.flat().sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
    const keys = merged.slice(0, limit);
    // A node that filled its page may hold more after it.
    const more = merged.length > limit || pages.some((page) => page.length === limit);
    return { keys, ...(more && keys.length > 0 && { nextCursor: keys[keys.length - 1]!.keyId }), unavailableNodes };
  },

  async GET_KEY(ws, _call, p) {
    const { client, share } = await ws.network.locate(p.keyId);
    return keyInfo(client.nodeId, share);
  },

  async DELETE_KEY_SHARE(ws, call, p) {
    const { client, share } = await ws.network.locate(p.keyId);
    await client.call('deleteShare', { params: { keyId: p.keyId }, body: signedBody(call) }, call.requestId);
    await ws.network.forget(p.keyId);
    await ws.audit.append(call.caller.apiKeyId, 'share.delete', {
      keyId: p.keyId,
      nodeId: client.nodeId,
      publicKey: share.publicKey,
      identifier: share.identifier,
    });
    return { keyId: p.keyId, deleted: true };
  },
};
