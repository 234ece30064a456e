import type { FastifyInstance } from 'fastify';
import type { RefreshConfirmation, RosterNode } from '@wr/api';
import { WrError, hexBytes, signRaw, toHex, utf8, verifyRaw } from '@wr/common';
import {
  ShareInvalidError,
  decodePublicKeyPackage,
  encodePublicKeyPackage,
  openLifecycleMessage,
  refreshRound1,
  refreshRound2,
  sealLifecycleMessage,
  signLifecycleBroadcast,
  verifyLifecycleBroadcast,
  type RefreshCommitment,
  type RefreshSubShare,
  type SealedLifecycleMessage,
  type SecretRefreshState,
} from '@wr/crypto';
import { measured } from '@wr/server';
import { refreshBackups } from '../backups.js';
import type { NodeContext } from '../context.js';
import { SessionStore } from '../sessions.js';
import type { ShareRow } from '../store.js';
import { route } from './route.js';
import { describeShare, receiptFor, requireCommitted } from './shares.js';

/** A refresh between round 1 and round 2: the round secret, and who takes part (keys from the roster, never from the relay). */
interface RefreshSession {
  state: SecretRefreshState;
  keyId: string;
  fromEpoch: number;
  participants: (RosterNode & { identifier: string })[];
  requester: string;
  approvedBy: string[] | undefined;
  destroy(): void;
}

/**
 * What a holder signs when its round 2 of a refresh or a reshare is done, each
 * protocol under its own domain: the session, the key, its node and identifier,
 * the new epoch and the confirmation digest (round 2's `confirmation`: a hash
 * of the new public package). Lines of text that cannot hold a newline (every
 * field is checked by its schema or against the key's package first).
 */
export function confirmationBytes(
  protocol: 'refresh' | 'reshare',
  sessionId: string,
  publicKey: string,
  c: Omit<RefreshConfirmation, 'signature'>,
): Uint8Array {
  return utf8([`wr/${protocol}-confirmation/v1`, sessionId, publicKey, c.nodeId, c.identifier, String(c.epoch), c.confirmation].join('\n'));
}

/**
 * Proactive refresh of a key's shares (REFRESH_KEY), run between the current
 * holders with the workspace as relay:
 *
 *   refreshRound1  checks the caller's signed REFRESH_KEY (the key comes from it),
 *                  that the participants are exactly the holders of the key's
 *                  public package, each on a roster node, this node with its own
 *                  identifier; deals a sharing of zero. Returns the commitment,
 *                  signed with this node's key, and one sub-share per peer, signed
 *                  and sealed to the peer's roster recipient.
 *   refreshRound2  checks every commitment's signature against its sender's roster
 *                  key, opens the sub-shares sealed to this node, verifies them;
 *                  stages the new share (sealed, on disk) and returns its signed
 *                  confirmation.
 *   refreshCommit  with every holder's signed confirmation, all equal to its own:
 *                  swaps the staged share in and tombstones the old epoch, in one
 *                  transaction.
 *   refreshAbort   drops the round state and the staged share: the old one stays.
 *   refreshNotice  a node with no share of the key records that older wrapped
 *                  copies are stale, on the holders' signed confirmations; a node
 *                  with a copy left behind (another node confirmed its identifier
 *                  at the new epoch) deletes and tombstones it.
 */
export function lifecycleRoutes(app: FastifyInstance, ctx: NodeContext): void {
  const { store, keyring, http, authorizer, config } = ctx;
  const sessions = new SessionStore<RefreshSession>(5 * 60_000);
  app.addHook('onClose', async () => sessions.close());

  const rosterNode = (nodeId: string) => ctx.roster.node(nodeId, 'refreshes');

  // The share at its new epoch, with this node's receipt: the caller can check every holder moved, whatever the relay says.
  const refreshed = (row: ShareRow) => ({
    ...describeShare(row),
    receipt: receiptFor(ctx, {
      kind: 'refresh',
      nodeId: config.nodeId,
      keyId: row.keyId,
      publicKey: row.groupPublicKey,
      identifier: row.identifier,
      epoch: row.epoch,
    }),
  });

  route(app, 'findShare', async (req) => {
    const row = store.byGroupKey(req.params.publicKey);
    if (!row) throw new WrError('NOT_FOUND', `no share of key ${req.params.publicKey} on ${config.nodeId}`);
    return describeShare(row);
  });

  route(app, 'refreshRound1', async (req) =>
    measured(http, 'refresh.round1', async () => {
      const b = req.body;
      // Which key: the caller's word, not the relay's. One signed call is one refresh on this node, whatever the session.
      const { params, caller, approvedBy } = authorizer.authorize(b.auth, ['REFRESH_KEY'], 'refresh', b.approvals);
      const row = store.byGroupKey(params.publicKey);
      if (!row) throw new WrError('NOT_FOUND', `no share of key ${params.publicKey} on ${config.nodeId}`);
      requireCommitted(ctx, row.keyId);
      const pub = decodePublicKeyPackage(row.publicPackage);
      // The holders are the key's: every identifier of its public package, each once, each on a distinct roster node.
      const holders = Object.keys(pub.verifyingShares).sort();
      const named = b.participants.map((p) => p.identifier);
      if (named.length !== holders.length || [...named].sort().join() !== holders.join()) {
        throw new WrError('PERMISSION_DENIED', `the relay named participants ${named.join(', ')}; the holders of this key are ${holders.join(', ')}`);
      }
      if (new Set(b.participants.map((p) => p.nodeId)).size !== b.participants.length) {
        throw new WrError('PERMISSION_DENIED', 'the relay named one node for two participants: one node never holds two shares of a key');
      }
      const participants = b.participants.map((p) => ({ ...rosterNode(p.nodeId), identifier: p.identifier }));
      const me = participants.find((p) => p.identifier === row.identifier);
      if (me?.nodeId !== config.nodeId) {
        throw new WrError('PERMISSION_DENIED', `participant ${row.identifier} is this node's share, not ${me?.nodeId ?? 'absent'}`);
      }
      const signingShare = store.signingShare(row);
      let r: ReturnType<typeof refreshRound1>;
      try {
        r = refreshRound1({ sessionId: b.sessionId, pub, secret: { identifier: row.identifier, signingShare }, epoch: row.epoch, participants: named });
      } finally {
        signingShare.destroy();
      }
      try {
        const signature = signLifecycleBroadcast('refresh-commitment', r.commitment, keyring.signingKey);
        const sealed = await Promise.all(
          r.subShares.map((m) =>
            sealLifecycleMessage('refresh-sub-share', m, {
              signingKey: keyring.signingKey,
              recipient: participants.find((p) => p.identifier === m.to)!.recipientKey,
            }),
          ),
        );
        const session: RefreshSession = {
          state: r.state,
          keyId: row.keyId,
          fromEpoch: row.epoch,
          participants,
          requester: caller.apiKeyId,
          approvedBy,
          destroy: () => r.state.destroy(),
        };
        if (!sessions.put(b.sessionId, session)) throw new WrError('CONFLICT', `refresh session ${b.sessionId} already started on this node`);
        return { commitment: { ...r.commitment }, signature, sealed: sealed as unknown as Record<string, unknown>[] };
      } catch (err) {
        r.state.destroy();
        throw err;
      } finally {
        r.subShares.forEach((m) => m.subShare.destroy());
      }
    }),
  );

  route(app, 'refreshRound2', async (req) =>
    measured(http, 'refresh.round2', async () => {
      const b = req.body;
      const session = sessions.take(b.sessionId);
      // Round state is memory only: a node that restarted since round 1 has none. The refresh can be run again.
      if (!session)
        throw new WrError(
          'NODE_UNAVAILABLE',
          `${config.nodeId} holds no state for refresh session ${b.sessionId} (it restarted, or the session expired or was aborted): refresh again`,
        );
      const opened: RefreshSubShare[] = [];
      try {
        const byId = new Map(session.participants.map((p) => [p.identifier, p]));
        const commitments = b.commitments.map((c) => {
          const m = c.message as unknown as RefreshCommitment;
          const from = byId.get(m.from);
          if (!from || !verifyLifecycleBroadcast('refresh-commitment', m, c.signature, from.signingKey)) {
            throw new ShareInvalidError('lifecycle-message-signature', `refresh: the commitment from ${String(m.from)} is not signed by its node`, [
              String(m.from),
            ]);
          }
          return m;
        });
        const self = session.state.self;
        for (const s of b.sealed as unknown as SealedLifecycleMessage[]) {
          if (s.to !== self) continue;
          const from = byId.get(s.from);
          if (!from) throw new WrError('INVALID_ARGUMENT', `sealed: ${String(s.from)} is not a participant`, { param: 'sealed' });
          opened.push(await openLifecycleMessage('refresh-sub-share', s, { ageIdentity: keyring.x25519Identity, senderSigningKey: from.signingKey }));
        }
        const result = refreshRound2(session.state, commitments, opened);
        try {
          const row = store.get(session.keyId);
          if (!row || row.epoch !== session.fromEpoch) throw new WrError('CONFLICT', `key share ${session.keyId} changed during the refresh`);
          const confirmation = { nodeId: config.nodeId, identifier: self, epoch: result.epoch, confirmation: result.confirmation };
          store.stageRefresh(
            row,
            {
              sessionId: b.sessionId,
              keyId: row.keyId,
              fromEpoch: session.fromEpoch,
              epoch: result.epoch,
              publicPackage: encodePublicKeyPackage(result.public),
              confirmation: result.confirmation,
              participants: session.participants.map((p) => ({ nodeId: p.nodeId, identifier: p.identifier })),
              requester: session.requester,
            },
            result.secret.signingShare,
          );
          const signature = toHex(signRaw(keyring.signingKey, confirmationBytes('refresh', b.sessionId, row.groupPublicKey, confirmation)));
          return { ...confirmation, signature };
        } finally {
          result.secret.signingShare.destroy();
        }
      } finally {
        session.destroy();
        opened.forEach((m) => m.subShare.destroy());
      }
    }),
  );

  /** Every participant's confirmation, signed by its roster node and equal to `expect`; otherwise refused. */
  const checkConfirmations = (
    sessionId: string,
    publicKey: string,
    participants: { nodeId: string; identifier: string }[],
    confirmations: RefreshConfirmation[],
    expect: { epoch: number; confirmation: string },
  ): void => {
    for (const p of participants) {
      const c = confirmations.find((x) => x.nodeId === p.nodeId && x.identifier === p.identifier);
      if (!c) throw new WrError('PERMISSION_DENIED', `no confirmation from ${p.nodeId} (participant ${p.identifier}): every holder must confirm first`);
      const key = hexBytes(rosterNode(p.nodeId).signingKey, 32)!;
      if (!verifyRaw(key, confirmationBytes('refresh', sessionId, publicKey, c), hexBytes(c.signature, 64)!)) {
        throw new WrError('PERMISSION_DENIED', `the confirmation of ${p.nodeId} is not signed by its node`);
      }
      if (c.epoch !== expect.epoch || c.confirmation !== expect.confirmation) {
        throw new ShareInvalidError('refresh-confirmation', `refresh: ${p.nodeId} finished with another result; abort this session`, [p.identifier]);
      }
    }
  };

  route(app, 'refreshCommit', async (req) => {
    const b = req.body;
    const staged = store.staged(b.sessionId);
    if (!staged) {
      // Committed already (a retried commit): the share is at the confirmed epoch.
      const row = store.byGroupKey(b.publicKey);
      const mine = b.confirmations.find((c) => c.nodeId === config.nodeId);
      if (row && mine && row.identifier === mine.identifier && row.epoch === mine.epoch) {
        await refreshBackups(ctx, row.groupPublicKey);
        return refreshed(row);
      }
      throw new WrError('NOT_FOUND', `no refresh staged for session ${b.sessionId} on ${config.nodeId}`);
    }
    const row = store.get(staged.keyId)!;
    if (row.groupPublicKey !== b.publicKey) throw new WrError('INVALID_ARGUMENT', `publicKey: session ${b.sessionId} refreshes another key`);
    checkConfirmations(b.sessionId, row.groupPublicKey, staged.participants, b.confirmations, staged);
    const done = store.commitRefresh(b.sessionId);
    await refreshBackups(ctx, done.groupPublicKey);
    ctx.log.append(staged.requester, 'key.refresh', {
      keyId: done.keyId,
      sessionId: b.sessionId,
      publicKey: done.groupPublicKey,
      identifier: done.identifier,
      epoch: done.epoch,
    });
    return refreshed(done);
  });

  // The workspace gave up on a refresh: drop its round state and the staged share; the old share keeps working.
  route(app, 'refreshAbort', async (req) => {
    sessions.take(req.body.sessionId)?.destroy();
    const staged = store.staged(req.body.sessionId);
    const aborted = store.dropStaged(req.body.sessionId);
    if (aborted) ctx.log.append('workspace', 'key.refresh-abort', { keyId: staged!.keyId, sessionId: req.body.sessionId });
    return { aborted };
  });

  // Public facts signed by roster nodes: at least two holders' confirmations of the same result. Any relay may send them.
  route(app, 'refreshNotice', async (req) => {
    const b = req.body;
    const first = b.confirmations[0]!;
    const ids = new Set(b.confirmations.map((c) => c.identifier));
    if (ids.size !== b.confirmations.length || new Set(b.confirmations.map((c) => c.nodeId)).size !== b.confirmations.length) {
      throw new WrError('INVALID_ARGUMENT', 'confirmations: a node or identifier is repeated', { param: 'confirmations' });
    }
    checkConfirmations(b.sessionId, b.publicKey, b.confirmations, b.confirmations, first);
    const row = store.byGroupKey(b.publicKey);
    if (row) {
      // A copy left behind by a migration: another roster node signed that it took this identifier to a newer epoch. This one can
      // never sign with the new shares again, and must not come back: it is retired.
      const moved = b.confirmations.find((c) => c.identifier === row.identifier && c.nodeId !== config.nodeId);
      if (!moved || row.epoch >= first.epoch || !store.retireLeftBehind(row.keyId, [...ids], first.epoch - 1)) return { recorded: false };
      ctx.log.append('workspace', 'key.refresh-retire', {
        keyId: row.keyId,
        publicKey: b.publicKey,
        identifier: row.identifier,
        epoch: row.epoch,
        heldBy: moved.nodeId,
        sessionId: b.sessionId,
      });
      return { recorded: true, retired: row.keyId };
    }
    store.recordRefreshed(b.publicKey, [...ids], first.epoch - 1);
    ctx.log.append('workspace', 'key.refresh-notice', { publicKey: b.publicKey, epoch: first.epoch, sessionId: b.sessionId });
    return { recorded: true };
  });
}
