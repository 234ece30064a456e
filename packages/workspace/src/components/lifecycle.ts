import type { ComponentResult, NodeOpResponse, RefreshConfirmation } from '@wr/api';
import { WrError } from '@wr/common';
import { decodePublicKeyPackage } from '@wr/crypto';
import { signedBody, type WorkspaceContext } from '../context.js';
import type { NodeClient } from '../node-client.js';
import { allSettledOrThrow } from './keys.js';
import type { Handlers } from './types.js';

type RefreshResult = ComponentResult<'REFRESH_KEY'>;

/**
 * What a retry needs to finish a refresh every holder confirmed: the result, the
 * holders' signed confirmations, and the copies left behind to retire.
 */
interface ConfirmedRefresh {
  result: RefreshResult;
  confirmations: RefreshConfirmation[];
  leftBehind?: Retired[];
}

type Holder = { client: NodeClient; share: NodeOpResponse<'findShare'> };
type Retired = { nodeId: string; keyId: string };

/**
 * Of the nodes holding the same identifier (a share exported and imported
 * elsewhere, as a migration does), the one that takes part in the refresh: the
 * latest epoch, then an imported copy (where a migration put it), then the
 * newest. The others are copies left behind.
 */
const preferred = (a: Holder, b: Holder) =>
  b.share.epoch - a.share.epoch ||
  Number(b.share.origin === 'imported') - Number(a.share.origin === 'imported') ||
  b.share.createdAt.localeCompare(a.share.createdAt) ||
  a.client.nodeId.localeCompare(b.client.nodeId);

/**
 * The nodes that hold a share of the key, by asking every node. Every identifier
 * of the key's package must be held by a node that answered; where two nodes
 * hold one, the preferred takes part and the other is left behind, to retire.
 */
async function holdersOf(ws: WorkspaceContext, publicKey: string, requestId: string): Promise<{ holders: Holder[]; leftBehind: Retired[] }> {
  const found = await Promise.allSettled(
    [...ws.network.clients.values()].map(async (client) => ({ client, share: await client.call('findShare', { params: { publicKey } }, requestId) })),
  );
  const all = found.flatMap((f) => (f.status === 'fulfilled' ? [f.value] : []));
  const failed = found.flatMap((f) => (f.status === 'rejected' && !(f.reason instanceof WrError && f.reason.code === 'NOT_FOUND') ? [f.reason] : []));
  if (all.length === 0) {
    if (failed.length) throw new WrError('NODE_UNAVAILABLE', `no node that answered holds a share of ${publicKey}, and some did not answer: retry`);
    throw new WrError('NOT_FOUND', `publicKey: no node holds a share of ${publicKey}`, { param: 'publicKey' });
  }
  const holders: Holder[] = [];
  const leftBehind: Retired[] = [];
  for (const h of [...all].sort(preferred)) {
    if (holders.some((x) => x.share.identifier === h.share.identifier)) leftBehind.push({ nodeId: h.client.nodeId, keyId: h.share.keyId });
    else holders.push(h);
  }
  holders.sort((a, b) => a.client.nodeId.localeCompare(b.client.nodeId));
  const identifiers = Object.keys(decodePublicKeyPackage(holders[0]!.share.publicPackage).verifyingShares).sort();
  const held = holders.map((h) => h.share.identifier).sort();
  if (held.join() !== identifiers.join()) {
    const missing = identifiers.filter((id) => !held.includes(id));
    if (failed.length)
      throw new WrError('NODE_UNAVAILABLE', `the holders of ${missing.join(', ')} did not answer: retry when every holder is up`, { retryable: true });
    throw new WrError('CONFLICT', `no node holds participant ${missing.join(', ')} of ${publicKey}: every holder takes part in a refresh`);
  }
  if (new Set(holders.map((h) => h.share.epoch)).size !== 1) {
    throw new WrError('NODE_UNAVAILABLE', `the holders of ${publicKey} are at different epochs: an earlier refresh is still being committed; retry shortly`, {
      retryable: true,
    });
  }
  return { holders, leftBehind };
}

/**
 * Every holder confirmed the same result: each swaps its new share in. A node
 * that does not answer fails the call as retryable; the retry (same
 * idempotency key) commits again. Then the nodes with no share learn that older
 * copies are stale.
 */
async function commitRefresh(ws: WorkspaceContext, requestId: string | undefined, sessionId: string, confirmed: ConfirmedRefresh): Promise<RefreshResult> {
  const { result, confirmations, leftBehind = [] } = confirmed;
  const body = { sessionId, publicKey: result.publicKey, confirmations };
  const committed = await allSettledOrThrow(result.shares.map((s) => ws.network.client(s.nodeId).call('refreshCommit', { body }, requestId))).catch((err) => {
    throw new WrError(
      'NODE_UNAVAILABLE',
      `every holder confirmed the refresh, but a node did not commit it (${(err as Error).message}): retry with the same idempotency key`,
      { retryable: true },
    );
  });
  await ws.store.run('UPDATE refresh_results SET committed = 1 WHERE session_id = ?', sessionId);
  // The cached share descriptions hold the old public package: look them up afresh.
  for (const s of result.shares) {
    await ws.network.forget(s.keyId);
    await ws.network.remember(s.keyId, s.nodeId, result.publicKey, s.identifier);
  }
  const holders = new Set(result.shares.map((s) => s.nodeId));
  const others = [...ws.network.clients.values()].filter((c) => !holders.has(c.nodeId));
  const notices = await Promise.allSettled(others.map((c) => c.call('refreshNotice', { body }, requestId)));
  // A copy left behind is retired by its node on the holders' signed confirmations; one already gone was retired by an earlier try.
  for (const l of leftBehind) {
    const n = notices[others.findIndex((c) => c.nodeId === l.nodeId)];
    const gone = n?.status === 'fulfilled' && n.value.retired === l.keyId;
    if (
      !gone &&
      !(await ws.network
        .client(l.nodeId)
        .call('findShare', { params: { publicKey: result.publicKey } }, requestId)
        .then(
          (s) => s.keyId !== l.keyId,
          (err: unknown) => err instanceof WrError && err.code === 'NOT_FOUND',
        ))
    )
      throw new WrError(
        'NODE_UNAVAILABLE',
        `the refresh is committed, but ${l.nodeId} did not retire its copy ${l.keyId} left behind: retry with the same idempotency key`,
        { retryable: true },
      );
    await ws.network.forget(l.keyId);
  }
  // Each node's receipt: the caller can check that every holder moved to the new epoch.
  return {
    ...result,
    shares: result.shares.map((s, i) => ({ ...s, receipt: committed[i]!.receipt })),
    ...(leftBehind.length > 0 && { retired: leftBehind }),
  };
}

/**
 * Commits again the refreshes every holder confirmed but some holder did not
 * commit yet (it was down, or the answer was lost), so that no key stays split
 * between two epochs when the caller does not retry. A node that still does not
 * answer is tried at the next sweep.
 */
export async function retryPendingRefreshCommits(ws: WorkspaceContext): Promise<void> {
  const rows = await ws.store.all<{ session_id: string; result: string }>('SELECT session_id, result FROM refresh_results WHERE committed = 0');
  for (const r of rows) {
    // A call in flight may commit the same session meanwhile: a node commits once and answers a repeat the same.
    const confirmed = JSON.parse(r.result) as ConfirmedRefresh & { kind?: string };
    if (confirmed.kind === 'reshare') continue; // see retryPendingReshareCommits
    await commitRefresh(ws, undefined, r.session_id, confirmed).catch(() => undefined);
  }
}

export const lifecycleComponents: Pick<Handlers, 'REFRESH_KEY'> = {
  /**
   * Proactive refresh, relayed like DKG (see the node's routes/lifecycle.ts):
   * round 1 at every holder (signed commitments, sub-shares sealed to each
   * peer), round 2 (each stages its new share and signs its confirmation), then
   * commit with every confirmation. Until every holder confirmed, a failure
   * aborts and the old shares keep working; after, a retry commits.
   */
  async REFRESH_KEY(ws, call, p) {
    const idempotencyKey = call.auth.idempotencyKey;
    const resumed = await ws.store.get<{ session_id: string; result: string }>(
      'SELECT session_id, result FROM refresh_results WHERE api_key_id = ? AND idempotency_key = ?',
      call.caller.apiKeyId,
      idempotencyKey,
    );
    if (resumed && idempotencyKey) return commitRefresh(ws, call.requestId, resumed.session_id, JSON.parse(resumed.result) as ConfirmedRefresh);
    const { holders, leftBehind } = await holdersOf(ws, p.publicKey, call.requestId);
    const participants = holders.map((h) => ({ nodeId: h.client.nodeId, identifier: h.share.identifier }));
    const sessionId = call.sessionId;
    let confirmed: ConfirmedRefresh;
    try {
      const r1 = await allSettledOrThrow(
        holders.map((h) => h.client.call('refreshRound1', { body: { sessionId, participants, ...signedBody(call) } }, call.requestId)),
      );
      const commitments = r1.map((r) => ({ message: r.commitment, signature: r.signature }));
      const sealed = r1.flatMap((r) => r.sealed) as { to?: unknown }[];
      const confirmations = await allSettledOrThrow(
        holders.map((h) =>
          h.client.call(
            'refreshRound2',
            { body: { sessionId, commitments, sealed: sealed.filter((s) => s.to === h.share.identifier) as Record<string, unknown>[] } },
            call.requestId,
          ),
        ),
      );
      const first = confirmations[0]!;
      if (confirmations.some((c) => c.confirmation !== first.confirmation || c.epoch !== first.epoch)) {
        throw new WrError('INTERNAL', 'the holders finished the refresh with different results; nothing was changed');
      }
      const shares = holders.map((h) => ({ nodeId: h.client.nodeId, keyId: h.share.keyId, identifier: h.share.identifier }));
      confirmed = { result: { publicKey: p.publicKey, epoch: first.epoch, shares }, confirmations, ...(leftBehind.length > 0 && { leftBehind }) };
      // Every holder staged the same result: from here the refresh is committed, never aborted; a retry resumes here.
      await ws.store.run(
        'INSERT INTO refresh_results (api_key_id, idempotency_key, session_id, result) VALUES (?, ?, ?, ?)',
        call.caller.apiKeyId,
        idempotencyKey || sessionId,
        sessionId,
        JSON.stringify(confirmed),
      );
      await ws.audit.append(call.caller.apiKeyId, 'key.refresh', {
        publicKey: p.publicKey,
        epoch: first.epoch,
        shares,
        ...(leftBehind.length > 0 && { retired: leftBehind }),
      });
    } catch (err) {
      // Drops the round state and any staged share; a node that does not answer keeps a staged share no one can commit.
      await Promise.allSettled(holders.map((h) => h.client.call('refreshAbort', { body: { sessionId } }, call.requestId)));
      throw err;
    }
    return commitRefresh(ws, call.requestId, sessionId, confirmed);
  },
};
