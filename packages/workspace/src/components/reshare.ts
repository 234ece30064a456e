import type { ComponentResult, NodeOpResponse, RefreshConfirmation } from '@wr/api';
import { WrError } from '@wr/common';
import { decodePublicKeyPackage, identifierFor, type SchemeName } from '@wr/crypto';
import { signedBody, type WorkspaceContext } from '../context.js';
import type { NodeClient } from '../node-client.js';
import { allSettledOrThrow } from './keys.js';
import type { Handlers } from './types.js';

type ReshareResult = ComponentResult<'RESHARE_KEY'>;

/**
 * What a retry needs to finish a reshare every new holder confirmed (kept in
 * refresh_results, told apart by `kind`): the new holders, the old holders that
 * leave, and the new holders' signed confirmations.
 */
export interface ConfirmedReshare {
  kind: 'reshare';
  publicKey: string;
  epoch: number;
  holders: { nodeId: string; identifier: string }[];
  leaving: { nodeId: string; keyId: string }[];
  confirmations: RefreshConfirmation[];
}

/**
 * Every new holder confirmed the same result: each commits its new share, and
 * only then does each leaving old holder retire its own. A node that does not
 * answer fails the call as retryable; the retry (same idempotency key) or the
 * sweep commits again.
 */
async function commitReshare(ws: WorkspaceContext, requestId: string | undefined, sessionId: string, c: ConfirmedReshare): Promise<ReshareResult> {
  const body = { sessionId, publicKey: c.publicKey, confirmations: c.confirmations };
  const retry = (err: unknown) => {
    throw new WrError(
      'NODE_UNAVAILABLE',
      `every new holder confirmed the reshare, but a node did not commit it (${(err as Error).message}): retry with the same idempotency key`,
      { retryable: true },
    );
  };
  const committed = await allSettledOrThrow(c.holders.map((h) => ws.network.client(h.nodeId).call('reshareCommit', { body }, requestId))).catch(retry);
  const shares = c.holders.map((h, i) => {
    const s = committed[i]!.share;
    if (!s) throw new WrError('INTERNAL', `${h.nodeId} retired its share instead of committing the new one`);
    return { nodeId: h.nodeId, keyId: s.keyId, identifier: s.identifier, receipt: s.receipt };
  });
  for (const s of shares) {
    await ws.network.forget(s.keyId);
    await ws.network.remember(s.keyId, s.nodeId, c.publicKey, s.identifier);
  }
  // The leaving holders retire their shares on the new holders' receipts that they committed.
  await allSettledOrThrow(c.leaving.map((l) => ws.network.client(l.nodeId).call('reshareCommit', { body: { ...body, committed: shares } }, requestId))).catch(
    retry,
  );
  await ws.store.run('UPDATE refresh_results SET committed = 1 WHERE session_id = ?', sessionId);
  for (const l of c.leaving) await ws.network.forget(l.keyId);
  // The nodes that took no part learn that older copies are stale.
  const touched = new Set([...c.holders.map((h) => h.nodeId), ...c.leaving.map((l) => l.nodeId)]);
  await Promise.allSettled([...ws.network.clients.values()].filter((n) => !touched.has(n.nodeId)).map((n) => n.call('reshareNotice', { body }, requestId)));
  return { publicKey: c.publicKey, epoch: c.epoch, shares };
}

/** Commits again the reshares every new holder confirmed but some node did not commit yet (see retryPendingRefreshCommits). */
export async function retryPendingReshareCommits(ws: WorkspaceContext): Promise<void> {
  const rows = await ws.store.all<{ session_id: string; result: string }>('SELECT session_id, result FROM refresh_results WHERE committed = 0');
  for (const r of rows) {
    const c = JSON.parse(r.result) as ConfirmedReshare | { kind?: undefined };
    if (c.kind === 'reshare') await commitReshare(ws, undefined, r.session_id, c).catch(() => undefined);
  }
}

/**
 * The nodes that hold a share of the key, by asking every node (as a refresh's
 * holdersOf), except that a share no node holds while every node answered is
 * lost, not missing: a quorum of the others can still reshare the key. A node
 * that does not answer may hold an old share that would then not be retired:
 * the reshare waits for it.
 */
async function oldHolders(ws: WorkspaceContext, publicKey: string, requestId: string): Promise<{ client: NodeClient; share: NodeOpResponse<'findShare'> }[]> {
  const found = await Promise.allSettled(
    [...ws.network.clients.values()].map(async (client) => ({ client, share: await client.call('findShare', { params: { publicKey } }, requestId) })),
  );
  const holders = found.flatMap((f) => (f.status === 'fulfilled' ? [f.value] : []));
  const failed = found.filter((f) => f.status === 'rejected' && !(f.reason instanceof WrError && f.reason.code === 'NOT_FOUND'));
  if (failed.length) {
    throw new WrError(
      'NODE_UNAVAILABLE',
      `${failed.length} node(s) did not answer, and may hold a share of ${publicKey} to retire: retry when every node is up`,
      {
        retryable: true,
      },
    );
  }
  if (holders.length === 0) throw new WrError('NOT_FOUND', `publicKey: no node holds a share of ${publicKey}`, { param: 'publicKey' });
  const held = holders.map((h) => h.share.identifier);
  if (new Set(held).size !== held.length) {
    throw new WrError(
      'CONFLICT',
      `two nodes hold the same participant of ${publicKey} (a copy left by a migration?): delete the copy left behind, then reshare`,
    );
  }
  if (new Set(holders.map((h) => h.share.publicPackage)).size !== 1) {
    throw new WrError('NODE_UNAVAILABLE', `the holders of ${publicKey} are at different epochs: an earlier change is still being committed; retry shortly`, {
      retryable: true,
    });
  }
  return holders;
}

export const reshareComponents: Pick<Handlers, 'RESHARE_KEY'> = {
  /**
   * Resharing, relayed like a refresh (see the node's routes/reshare.ts): round
   * 1 at every old and new holder (each checks the signed call; a quorum of old
   * holders deals), round 2 at the new holders (each verifies, stages and signs
   * its confirmation), then commit at the new holders and retire at the old
   * ones that leave. Until every new holder confirmed, a failure aborts and the
   * old shares keep working; after, a retry commits.
   */
  async RESHARE_KEY(ws, call, p) {
    const idempotencyKey = call.auth.idempotencyKey;
    const resumed = await ws.store.get<{ session_id: string; result: string }>(
      'SELECT session_id, result FROM refresh_results WHERE api_key_id = ? AND idempotency_key = ?',
      call.caller.apiKeyId,
      idempotencyKey,
    );
    if (resumed && idempotencyKey) {
      const c = JSON.parse(resumed.result) as ConfirmedReshare;
      if (c.kind !== 'reshare') throw new WrError('CONFLICT', 'this idempotency key was used for another call');
      return commitReshare(ws, call.requestId, resumed.session_id, c);
    }
    if (p.threshold > p.nodeIds.length) throw new WrError('INVALID_ARGUMENT', 'threshold: more than the number of nodes', { param: 'threshold' });
    const newClients = p.nodeIds.map((nodeId) => ws.network.client(nodeId, 'nodeIds'));
    const old = await oldHolders(ws, p.publicKey, call.requestId);
    const publicPackage = old[0]!.share.publicPackage;
    const pub = decodePublicKeyPackage(publicPackage);
    if (old.length < pub.minSigners)
      throw new WrError('CONFLICT', `only ${old.length} shares of ${p.publicKey} are left, fewer than its threshold ${pub.minSigners}: it cannot be reshared`);
    const staying = (nodeId: string) => p.nodeIds.includes(nodeId);
    // Dealers: a quorum of the old holders, those that stay first (fewer nodes touch the old shares).
    const dealers = [...old]
      .sort((a, b) => Number(staying(b.client.nodeId)) - Number(staying(a.client.nodeId)) || a.client.nodeId.localeCompare(b.client.nodeId))
      .slice(0, pub.minSigners)
      .map((h) => ({ nodeId: h.client.nodeId, identifier: h.share.identifier }));
    // New holders: a staying holder keeps its identifier; a new node takes the first one no old holder had.
    const taken = new Set(Object.keys(pub.verifyingShares));
    let next = 1;
    const holders = p.nodeIds.map((nodeId) => {
      const kept = old.find((h) => h.client.nodeId === nodeId);
      if (kept) return { nodeId, identifier: kept.share.identifier };
      let id = identifierFor(pub.scheme as SchemeName, next++);
      while (taken.has(id)) id = identifierFor(pub.scheme as SchemeName, next++);
      taken.add(id);
      return { nodeId, identifier: id };
    });
    const leaving = old.filter((h) => !staying(h.client.nodeId)).map((h) => ({ nodeId: h.client.nodeId, keyId: h.share.keyId }));
    const everyone = [...old.map((h) => h.client), ...newClients.filter((c) => !old.some((h) => h.client.nodeId === c.nodeId))];
    const sessionId = call.sessionId;
    let confirmed: ConfirmedReshare;
    try {
      const r1 = await allSettledOrThrow(
        everyone.map((c) => c.call('reshareRound1', { body: { sessionId, publicPackage, dealers, holders, ...signedBody(call) } }, call.requestId)),
      );
      const dealings = r1.flatMap((r) => (r.dealing ? [r.dealing] : []));
      const sealed = r1.flatMap((r) => r.sealed) as { to?: unknown }[];
      const confirmations = await allSettledOrThrow(
        holders.map((h) =>
          ws.network
            .client(h.nodeId)
            .call(
              'reshareRound2',
              { body: { sessionId, dealings, sealed: sealed.filter((s) => s.to === h.identifier) as Record<string, unknown>[] } },
              call.requestId,
            ),
        ),
      );
      const first = confirmations[0]!;
      if (confirmations.some((c) => c.confirmation !== first.confirmation || c.epoch !== first.epoch)) {
        throw new WrError('INTERNAL', 'the new holders finished the reshare with different results; nothing was changed');
      }
      confirmed = { kind: 'reshare', publicKey: p.publicKey, epoch: first.epoch, holders, leaving, confirmations };
      // Every new holder staged the same result: from here the reshare is committed, never aborted; a retry resumes here.
      await ws.store.run(
        'INSERT INTO refresh_results (api_key_id, idempotency_key, session_id, result) VALUES (?, ?, ?, ?)',
        call.caller.apiKeyId,
        idempotencyKey || sessionId,
        sessionId,
        JSON.stringify(confirmed),
      );
      await ws.audit.append(call.caller.apiKeyId, 'key.reshare', {
        publicKey: p.publicKey,
        epoch: first.epoch,
        threshold: p.threshold,
        nodeIds: p.nodeIds,
        retired: leaving.map((l) => l.nodeId),
      });
    } catch (err) {
      // Drops the round state and anything staged; the old shares keep working.
      await Promise.allSettled(everyone.map((c) => c.call('reshareAbort', { body: { sessionId } }, call.requestId)));
      throw err;
    }
    return commitReshare(ws, call.requestId, sessionId, confirmed);
  },
};
