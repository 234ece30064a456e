import type { FastifyInstance } from 'fastify';
import { receiptMessage, sha256Hex, type CallerAuth, type ReshareDealing, type RosterNode } from '@wr/api';
import { WrError, hexBytes, newKeyId, signRaw, toHex, utf8, verifyRaw } from '@wr/common';
import {
  ShareInvalidError,
  decodePublicKeyPackage,
  encodePublicKeyPackage,
  openLifecycleMessage,
  reshareDeal,
  reshareFinish,
  sealLifecycleMessage,
  signLifecycleBroadcast,
  verifyLifecycleBroadcast,
  type PublicKeyPackage,
  type ReshareCommitment,
  type ReshareSubShare,
  type SealedLifecycleMessage,
} from '@wr/crypto';
import { measured } from '@wr/server';
import { adoptBackupPolicy, keptPolicy, policyDigest, refreshBackups } from '../backups.js';
import type { NodeContext } from '../context.js';
import { SessionStore } from '../sessions.js';
import type { ShareRow } from '../store.js';
import { route } from './route.js';
import { confirmationBytes } from './lifecycle.js';
import { describeShare, receiptFor, requireCommitted } from './shares.js';

type Participant = RosterNode & { identifier: string };

/** A new holder between round 1 and round 2: who takes part (keys from the roster), and the package the dealers must vouch for. */
interface ReshareSession {
  publicKey: string;
  publicPackage: string;
  pub: PublicKeyPackage;
  minSigners: number;
  dealers: Participant[];
  holders: Participant[];
  self: string;
  /** This node's current share of the key, if it stays a holder. */
  row: ShareRow | undefined;
  requester: string;
  destroy(): void;
}

const line = (ps: { nodeId: string; identifier: string }[]) => ps.map((p) => `${p.nodeId}=${p.identifier}`).join(',');

/**
 * What a dealer signs beside its commitment: the session, the key, its node and
 * identifier, the old epoch, the hash of the old public package it dealt from,
 * the new threshold, the dealers and new holders, whether the key's shares
 * are exportable, and the digest of the backup policy it hands on. A new holder
 * that held no share of the key takes the package (and the policy) only if
 * every dealer signed this over it.
 */
export function reshareStatementBytes(
  sessionId: string,
  publicKey: string,
  s: { nodeId: string; identifier: string; fromEpoch: number; publicPackage: string; minSigners: number; exportable: boolean; backupPolicy: string },
  dealers: { nodeId: string; identifier: string }[],
  holders: { nodeId: string; identifier: string }[],
): Uint8Array {
  return utf8(
    [
      'wr/reshare-dealing/v2',
      sessionId,
      publicKey,
      s.nodeId,
      s.identifier,
      String(s.fromEpoch),
      sha256Hex(s.publicPackage),
      String(s.minSigners),
      line(dealers),
      line(holders),
      s.exportable ? '1' : '0',
      s.backupPolicy,
    ].join('\n'),
  );
}

/**
 * Resharing a key to new holders and/or a new threshold (RESHARE_KEY), with the
 * workspace as relay:
 *
 *   reshareRound1  at every old and new holder: checks the caller's signed
 *                  RESHARE_KEY (key, threshold, new nodes come from it), every
 *                  node against the roster, and that the relay's package is this
 *                  node's (an old holder). A dealer deals (reshareDeal): its
 *                  commitment, signed, a signed statement of what it deals, and a
 *                  sub-share per new holder, sealed to the holder's roster
 *                  recipient. An old holder that leaves stages its retirement.
 *   reshareRound2  at every new holder: checks each dealer's signatures (a node
 *                  that held no share takes the package only on them), opens its
 *                  sub-shares, verifies them (reshareFinish: commitments, constant
 *                  terms, group key); stages the new share, returns a signed
 *                  confirmation.
 *   reshareCommit  with every new holder's signed confirmation, all equal: a new
 *                  holder swaps in or inserts its share; an old holder that leaves
 *                  deletes its own. Either way the old identifiers are tombstoned
 *                  (reason 'reshared': old wrapped copies give SHARE_STALE).
 *   reshareAbort   drops the round state and anything staged: the old shares stay.
 *   reshareNotice  a node that took no part records that older wrapped copies
 *                  are stale, on the new holders' signed confirmations.
 */
export function reshareRoutes(app: FastifyInstance, ctx: NodeContext): void {
  const { store, keyring, http, authorizer, config } = ctx;
  const sessions = new SessionStore<ReshareSession>(5 * 60_000);
  app.addHook('onClose', async () => sessions.close());

  const rosterNode = (nodeId: string) => ctx.roster.node(nodeId, 'reshares');
  const distinct = (ps: { nodeId: string; identifier: string }[], what: string) => {
    if (new Set(ps.map((p) => p.nodeId)).size !== ps.length || new Set(ps.map((p) => p.identifier)).size !== ps.length)
      throw new WrError('PERMISSION_DENIED', `the relay named a node or an identifier twice among the ${what}`);
  };

  const committed = (row: ShareRow) => ({
    ...describeShare(row),
    receipt: receiptFor(ctx, {
      kind: 'reshare',
      nodeId: config.nodeId,
      keyId: row.keyId,
      publicKey: row.groupPublicKey,
      identifier: row.identifier,
      epoch: row.epoch,
      threshold: row.minSigners,
    }),
  });

  route(app, 'reshareRound1', async (req) =>
    measured(http, 'reshare.round1', async () => {
      const b = req.body;
      const { params, caller } = authorizer.authorize(b.auth, ['RESHARE_KEY'], 'reshare', b.approvals);
      const pub = decodePublicKeyPackage(b.publicPackage);
      if (pub.groupPublicKey !== params.publicKey) throw new WrError('PERMISSION_DENIED', 'the relay sent the package of another key than the caller signed');
      distinct(b.dealers, 'dealers');
      distinct(b.holders, 'new holders');
      const named = b.holders.map((h) => h.nodeId).sort();
      if (named.join() !== [...params.nodeIds].sort().join())
        throw new WrError('PERMISSION_DENIED', `the relay named new holders ${named.join(', ')}; the caller signed ${params.nodeIds.join(', ')}`);
      const dealers = b.dealers.map((d) => ({ ...rosterNode(d.nodeId), identifier: d.identifier }));
      const holders = b.holders.map((h) => ({ ...rosterNode(h.nodeId), identifier: h.identifier }));
      const row = store.byGroupKey(params.publicKey);
      const asHolder = holders.find((h) => h.nodeId === config.nodeId);
      const asDealer = dealers.find((d) => d.nodeId === config.nodeId);
      if (row) {
        requireCommitted(ctx, row.keyId);
        if (row.publicPackage !== b.publicPackage)
          throw new WrError('PERMISSION_DENIED', `the relay's package of ${params.publicKey} is not the one this node holds (epoch ${row.epoch})`);
        for (const p of [asHolder, asDealer, dealers.find((d) => d.identifier === row.identifier)])
          if (p && (p.nodeId !== config.nodeId || p.identifier !== row.identifier))
            throw new WrError('PERMISSION_DENIED', `participant ${row.identifier} is this node's share, not ${p.nodeId}'s as ${p.identifier}`);
      } else {
        if (!asHolder) throw new WrError('NOT_FOUND', `no share of key ${params.publicKey} on ${config.nodeId}, and it is not a new holder`);
        if (asDealer) throw new WrError('PERMISSION_DENIED', `${config.nodeId} holds no share of ${params.publicKey}: it cannot deal`);
      }
      if (params.threshold > holders.length) throw new WrError('INVALID_ARGUMENT', 'threshold: more than the number of new holders', { param: 'threshold' });
      const ids = { dealers: dealers.map((d) => d.identifier), holders: holders.map((h) => h.identifier) };
      const oldIdentifiers = Object.keys(pub.verifyingShares).sort();

      let dealing: ReshareDealing | undefined;
      let sealed: SealedLifecycleMessage[] = [];
      if (row && asDealer) {
        const signingShare = store.signingShare(row);
        let r: ReturnType<typeof reshareDeal>;
        try {
          r = reshareDeal({
            sessionId: b.sessionId,
            pub,
            epoch: row.epoch,
            dealers: ids.dealers,
            minSigners: params.threshold,
            holders: ids.holders,
            secret: { identifier: row.identifier, signingShare },
          });
        } finally {
          signingShare.destroy();
        }
        try {
          const backupPolicy = keptPolicy(ctx, row.groupPublicKey);
          const facts = {
            nodeId: config.nodeId,
            identifier: row.identifier,
            fromEpoch: row.epoch,
            publicPackage: b.publicPackage,
            minSigners: params.threshold,
            exportable: row.exportable,
            backupPolicy: policyDigest(backupPolicy),
          };
          dealing = {
            nodeId: config.nodeId,
            commitment: { ...r.commitment },
            signature: signLifecycleBroadcast('reshare-commitment', r.commitment, keyring.signingKey),
            exportable: row.exportable,
            ...(backupPolicy && { backupPolicy }),
            statement: toHex(signRaw(keyring.signingKey, reshareStatementBytes(b.sessionId, params.publicKey, facts, b.dealers, b.holders))),
          };
          sealed = await Promise.all(
            r.subShares.map((m) =>
              sealLifecycleMessage('reshare-sub-share', m, {
                signingKey: keyring.signingKey,
                recipient: holders.find((h) => h.identifier === m.to)!.recipientKey,
              }),
            ),
          );
        } finally {
          r.subShares.forEach((m) => m.subShare.destroy());
        }
      }
      if (row && !asHolder) {
        // Leaving: retired at commit, on every new holder's signed confirmation.
        store.stageReshare({
          sessionId: b.sessionId,
          role: 'retire',
          keyId: row.keyId,
          newRow: false,
          scheme: row.scheme,
          groupPublicKey: row.groupPublicKey,
          identifier: row.identifier,
          // The new threshold, which the new holders' commit receipts must name.
          minSigners: params.threshold,
          maxSigners: row.maxSigners,
          origin: row.origin,
          exportable: row.exportable,
          fromEpoch: row.epoch,
          epoch: row.epoch + 1,
          publicPackage: row.publicPackage,
          confirmation: '',
          holders: b.holders,
          oldIdentifiers,
          requester: caller.apiKeyId,
        });
      }
      if (asHolder) {
        const session: ReshareSession = {
          publicKey: params.publicKey,
          publicPackage: b.publicPackage,
          pub,
          minSigners: params.threshold,
          dealers,
          holders,
          self: asHolder.identifier,
          row,
          requester: caller.apiKeyId,
          destroy: () => undefined,
        };
        if (!sessions.put(b.sessionId, session)) throw new WrError('CONFLICT', `reshare session ${b.sessionId} already started on this node`);
      }
      return { ...(dealing ? { dealing } : {}), sealed: sealed as unknown as Record<string, unknown>[] };
    }),
  );

  route(app, 'reshareRound2', async (req) =>
    measured(http, 'reshare.round2', async () => {
      const b = req.body;
      const session = sessions.take(b.sessionId);
      if (!session)
        throw new WrError(
          'NODE_UNAVAILABLE',
          `${config.nodeId} holds no state for reshare session ${b.sessionId} (it restarted, or the session expired or was aborted): reshare again`,
        );
      const opened: ReshareSubShare[] = [];
      try {
        // Every dealer's commitment and statement, signed by its roster node; all from one epoch, all agreeing on exportability.
        const commitments: ReshareCommitment[] = [];
        const policies: CallerAuth[] = [];
        let fromEpoch: number | undefined;
        let exportable = true;
        for (const d of session.dealers) {
          const dealing = b.dealings.find((x) => x.nodeId === d.nodeId);
          if (!dealing) throw new WrError('PERMISSION_DENIED', `no dealing from ${d.nodeId} (participant ${d.identifier}): every dealer must deal`);
          const m = dealing.commitment as unknown as ReshareCommitment;
          if (m.from !== d.identifier || !verifyLifecycleBroadcast('reshare-commitment', m, dealing.signature, d.signingKey))
            throw new ShareInvalidError('lifecycle-message-signature', `reshare: the commitment from ${d.nodeId} is not signed by its node`, [d.identifier]);
          const facts = {
            nodeId: d.nodeId,
            identifier: d.identifier,
            fromEpoch: m.epoch,
            publicPackage: session.publicPackage,
            minSigners: session.minSigners,
            exportable: dealing.exportable,
            backupPolicy: policyDigest(dealing.backupPolicy),
          };
          if (dealing.backupPolicy) policies.push(dealing.backupPolicy);
          const key = hexBytes(d.signingKey, 32)!;
          const sig = hexBytes(dealing.statement, 64);
          if (!sig || !verifyRaw(key, reshareStatementBytes(b.sessionId, session.publicKey, facts, session.dealers, session.holders), sig))
            throw new ShareInvalidError(
              'reshare-statement',
              `reshare: ${d.nodeId} did not sign this package, threshold, set of holders and backup policy; abort this session`,
              [d.identifier],
            );
          if (fromEpoch !== undefined && m.epoch !== fromEpoch)
            throw new ShareInvalidError('reshare-epoch', `reshare: ${d.nodeId} dealt from epoch ${m.epoch}, another dealer from ${fromEpoch}`, [d.identifier]);
          fromEpoch = m.epoch;
          exportable &&= dealing.exportable;
          commitments.push(m);
        }
        if (fromEpoch === undefined) throw new WrError('PERMISSION_DENIED', 'no dealer named');
        const byId = new Map(session.dealers.map((d) => [d.identifier, d]));
        for (const s of b.sealed as unknown as SealedLifecycleMessage[]) {
          if (s.to !== session.self) continue;
          const from = byId.get(s.from);
          if (!from) throw new WrError('INVALID_ARGUMENT', `sealed: ${String(s.from)} is not a dealer`, { param: 'sealed' });
          opened.push(await openLifecycleMessage('reshare-sub-share', s, { ageIdentity: keyring.x25519Identity, senderSigningKey: from.signingKey }));
        }
        const result = reshareFinish(
          {
            sessionId: b.sessionId,
            pub: session.pub,
            epoch: fromEpoch,
            dealers: session.dealers.map((d) => d.identifier),
            minSigners: session.minSigners,
            holders: session.holders.map((h) => h.identifier),
            self: session.self,
          },
          commitments,
          opened,
        );
        try {
          const row = session.row && store.get(session.row.keyId);
          if (session.row && (!row || row.epoch !== fromEpoch)) throw new WrError('CONFLICT', `key share ${session.row.keyId} changed during the reshare`);
          if (!session.row && store.byGroupKey(session.publicKey)) throw new WrError('CONFLICT', `${config.nodeId} took a share of the key meanwhile`);
          const confirmation = { nodeId: config.nodeId, identifier: session.self, epoch: result.epoch, confirmation: result.confirmation };
          store.stageReshare(
            {
              sessionId: b.sessionId,
              role: 'hold',
              keyId: row?.keyId ?? newKeyId(),
              newRow: !row,
              scheme: result.public.scheme,
              groupPublicKey: result.public.groupPublicKey,
              identifier: session.self,
              minSigners: result.public.minSigners,
              maxSigners: result.public.maxSigners,
              origin: row?.origin ?? 'generated',
              exportable: row?.exportable ?? exportable,
              fromEpoch,
              epoch: result.epoch,
              publicPackage: encodePublicKeyPackage(result.public),
              confirmation: result.confirmation,
              holders: session.holders.map((h) => ({ nodeId: h.nodeId, identifier: h.identifier })),
              oldIdentifiers: Object.keys(session.pub.verifyingShares).sort(),
              requester: session.requester,
            },
            result.secret.signingShare,
          );
          // The backup policy follows the key: a new holder keeps it too, and backs its share up at commit.
          adoptBackupPolicy(ctx, session.publicKey, policies);
          const signature = toHex(signRaw(keyring.signingKey, confirmationBytes('reshare', b.sessionId, session.publicKey, confirmation)));
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

  route(app, 'reshareCommit', async (req) => {
    const b = req.body;
    const staged = store.reshareStaged(b.sessionId);
    if (!staged) {
      // Committed already (a retried commit): the share is at the confirmed epoch, or retired.
      const row = store.byGroupKey(b.publicKey);
      const mine = b.confirmations.find((c) => c.nodeId === config.nodeId);
      if (row && mine && row.identifier === mine.identifier && row.epoch === mine.epoch) return { retired: false, share: committed(row) };
      const epoch = b.confirmations[0]!.epoch;
      if (!row && !mine && store.tombstonedSince(b.publicKey, epoch - 1, 'reshared')) return { retired: true };
      throw new WrError('NOT_FOUND', `no reshare staged for session ${b.sessionId} on ${config.nodeId}`);
    }
    if (staged.groupPublicKey !== b.publicKey) throw new WrError('INVALID_ARGUMENT', `publicKey: session ${b.sessionId} reshares another key`);
    // Every new holder's confirmation, signed by its roster node, all of the same result (for a holder: its own).
    const first = b.confirmations.find((c) => c.nodeId === staged.holders[0]!.nodeId);
    const expect = staged.role === 'hold' ? staged : { epoch: staged.fromEpoch + 1, confirmation: first?.confirmation ?? '' };
    for (const p of staged.holders) {
      const c = b.confirmations.find((x) => x.nodeId === p.nodeId && x.identifier === p.identifier);
      if (!c) throw new WrError('PERMISSION_DENIED', `no confirmation from ${p.nodeId} (participant ${p.identifier}): every new holder must confirm first`);
      if (!verifyRaw(hexBytes(rosterNode(p.nodeId).signingKey, 32)!, confirmationBytes('reshare', b.sessionId, b.publicKey, c), hexBytes(c.signature, 64)!))
        throw new WrError('PERMISSION_DENIED', `the confirmation of ${p.nodeId} is not signed by its node`);
      if (c.epoch !== expect.epoch || c.confirmation !== expect.confirmation)
        throw new ShareInvalidError('reshare-confirmation', `reshare: ${p.nodeId} finished with another result; abort this session`, [p.identifier]);
    }
    if (staged.role === 'retire') {
      // The old share goes only once every new holder has committed its new one: each one's signed receipt says so.
      for (const p of staged.holders) {
        const c = b.committed?.find((x) => x.nodeId === p.nodeId && x.identifier === p.identifier);
        const facts = {
          kind: 'reshare' as const,
          nodeId: p.nodeId,
          keyId: c?.keyId ?? '',
          publicKey: b.publicKey,
          identifier: p.identifier,
          epoch: staged.epoch,
          threshold: staged.minSigners,
        };
        if (
          !c ||
          c.receipt.nodeId !== p.nodeId ||
          !verifyRaw(hexBytes(rosterNode(p.nodeId).signingKey, 32)!, receiptMessage(facts), hexBytes(c.receipt.signature, 64)!)
        )
          throw new WrError(
            'PERMISSION_DENIED',
            `no receipt from ${p.nodeId} that it committed its new share: this node keeps its old one until every new holder did`,
          );
      }
    }
    const done = store.commitReshare(b.sessionId);
    // A new holder's share is a changed share: its backups follow it (a retired one has none to make).
    if (done) await refreshBackups(ctx, done.groupPublicKey);
    const details = { sessionId: b.sessionId, publicKey: staged.groupPublicKey, identifier: staged.identifier, epoch: staged.epoch, keyId: staged.keyId };
    ctx.log.append(staged.requester, done ? 'key.reshare' : 'key.reshare-retire', done ? { ...details, threshold: done.minSigners } : details);
    return done ? { retired: false, share: committed(done) } : { retired: true };
  });

  // Public facts signed by roster nodes: at least two new holders' confirmations of the same result. Any relay may send them.
  route(app, 'reshareNotice', async (req) => {
    const b = req.body;
    const first = b.confirmations[0]!;
    const ids = new Set(b.confirmations.map((c) => c.identifier));
    if (ids.size !== b.confirmations.length || new Set(b.confirmations.map((c) => c.nodeId)).size !== b.confirmations.length)
      throw new WrError('INVALID_ARGUMENT', 'confirmations: a node or identifier is repeated', { param: 'confirmations' });
    for (const c of b.confirmations) {
      if (!verifyRaw(hexBytes(rosterNode(c.nodeId).signingKey, 32)!, confirmationBytes('reshare', b.sessionId, b.publicKey, c), hexBytes(c.signature, 64)!))
        throw new WrError('PERMISSION_DENIED', `the confirmation of ${c.nodeId} is not signed by its node`);
      if (c.epoch !== first.epoch || c.confirmation !== first.confirmation) throw new WrError('PERMISSION_DENIED', 'the confirmations are not of one result');
    }
    if (store.byGroupKey(b.publicKey)) return { recorded: false };
    store.recordReshared(b.publicKey, [...ids], first.epoch - 1);
    ctx.log.append('workspace', 'key.reshare-notice', { publicKey: b.publicKey, epoch: first.epoch, sessionId: b.sessionId });
    return { recorded: true };
  });

  // The workspace gave up on a reshare: drop the round state and anything staged; the old shares keep working.
  route(app, 'reshareAbort', async (req) => {
    sessions.take(req.body.sessionId)?.destroy();
    const staged = store.reshareStaged(req.body.sessionId);
    const aborted = store.dropReshareStaged(req.body.sessionId);
    if (aborted) ctx.log.append('workspace', 'key.reshare-abort', { keyId: staged!.keyId, sessionId: req.body.sessionId });
    return { aborted };
  });
}
