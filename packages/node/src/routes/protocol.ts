import type { FastifyInstance } from 'fastify';
import { sha256Hex } from '@wr/api';
import { WrError, fromHex, type Secret } from '@wr/common';
import {
  decodePublicKeyPackage,
  dkgRound1,
  dkgRound2,
  dkgRound3,
  encodePublicKeyPackage,
  signRound1,
  signRound2,
  type DkgRound1Message,
  type DkgRound2Message,
  type SchemeName,
  type SigningCommitments,
} from '@wr/crypto';
import { refreshBackups } from '../backups.js';
import type { NodeContext } from '../context.js';
import type { DkgSession, SignSession } from '../sessions.js';
import { heavyStep, route, spendingUse } from './route.js';
import { describeShare, receiptFor, requireCommitted } from './shares.js';

/**
 * This node's part of distributed key generation and of signing. Round state
 * (DKG secrets, nonces) lives in memory and is taken once; the workspace only
 * relays messages, and round-2 DKG packages are encrypted to their receiver.
 */
export function protocolRoutes(app: FastifyInstance, ctx: NodeContext): void {
  const { store, keyring, dkgSessions, nonces, authorizer, config } = ctx;

  route(app, 'dkgRound1', async (req) =>
    heavyStep(ctx, 'dkg.round1', async () => {
      const b = req.body;
      // What key, with whom, how many to sign and whether it may leave: the caller's word, not the relay's.
      const { params, caller, approvedBy } = authorizer.authorize(b.auth, ['CREATE_KEY'], `dkg ${b.sessionId}`, b.approvals);
      if (params.nodeIds && !params.nodeIds.includes(config.nodeId)) {
        throw new WrError('PERMISSION_DENIED', `the caller asked for a key on ${params.nodeIds.join(', ')}, not on ${config.nodeId}`);
      }
      // Every peer is a roster node, each once, and they are the nodes the caller named (all of them if it named none).
      const roster = ctx.roster.get();
      const named = params.nodeIds ?? roster.nodes.map((n) => n.nodeId);
      if (b.participants.length !== named.length)
        throw new WrError('PERMISSION_DENIED', `the caller asked for ${named.length} participants; the relay sent ${b.participants.length}`);
      b.participants.forEach((p, i) => {
        const n = roster.nodes.find((r) => r.nodeId === named[i]);
        if (!n || p.recipient !== n.recipientKey || p.signingKey !== n.signingKey) {
          throw new WrError(
            'PERMISSION_DENIED',
            `participant ${i + 1} is not ${named[i]} of the roster: this node takes part only with the nodes the caller named`,
          );
        }
      });
      const me = b.participants.find((p) => p.identifier === b.self);
      if (!me || me.recipient !== keyring.recipient || me.signingKey !== keyring.signingPublicKey) {
        throw new WrError('INVALID_ARGUMENT', 'participants: this node is not listed with its own keys', { param: 'participants' });
      }
      const { state, message } = dkgRound1({
        sessionId: b.sessionId,
        scheme: params.scheme,
        minSigners: params.threshold,
        participants: b.participants,
        self: b.self,
        signingKey: keyring.signingKey,
      });
      const session: DkgSession = { state, exportable: params.exportable ?? true, requester: caller.apiKeyId, approvedBy, destroy: () => state.destroy?.() };
      if (!dkgSessions.put(b.sessionId, session)) throw new WrError('CONFLICT', `DKG session ${b.sessionId} already started on this node`);
      return { message };
    }),
  );

  route(app, 'dkgRound2', async (req) =>
    heavyStep(ctx, 'dkg.round2', async () => {
      const session = takeDkg(ctx, req.body.sessionId);
      const out = await dkgRound2(session.state, req.body.round1 as DkgRound1Message[]);
      dkgSessions.put(req.body.sessionId, session);
      return { messages: out as unknown as Record<string, unknown>[] };
    }),
  );

  route(app, 'dkgRound3', async (req) =>
    heavyStep(ctx, 'dkg.round3', async () => {
      const done = store.bySession(req.body.sessionId);
      if (done) return describeShare(done);
      const session = takeDkg(ctx, req.body.sessionId);
      const result = await dkgRound3(session.state, req.body.round2 as DkgRound2Message[], keyring.x25519Identity);
      try {
        const { keyId } = store.insert(
          {
            scheme: result.public.scheme,
            groupPublicKey: result.public.groupPublicKey,
            identifier: result.secret.identifier,
            minSigners: result.public.minSigners,
            maxSigners: result.public.maxSigners,
            publicPackage: encodePublicKeyPackage(result.public),
            signingShare: result.secret.signingShare,
            origin: 'generated',
            exportable: session.exportable,
            epoch: 0,
            dkgSession: req.body.sessionId,
          },
          new Date().toISOString(),
        );
        ctx.log.append(session.requester, 'key.create', {
          ...(session.approvedBy && { approvedBy: session.approvedBy }),
          keyId,
          sessionId: req.body.sessionId,
          publicKey: result.public.groupPublicKey,
          identifier: result.secret.identifier,
          exportable: session.exportable,
        });
        return describeShare(store.get(keyId)!);
      } finally {
        result.secret.signingShare.destroy();
      }
    }),
  );

  // Every participant stored its share: this one may now sign and export. Committing is harmless, so any relay may.
  route(app, 'dkgCommit', async (req) => {
    const row = store.bySession(req.body.sessionId);
    if (!row) throw new WrError('NOT_FOUND', `no share from DKG session ${req.body.sessionId} on ${config.nodeId}`);
    store.commit(row.keyId);
    await refreshBackups(ctx, row.groupPublicKey);
    const receipt = receiptFor(ctx, {
      kind: 'key',
      nodeId: config.nodeId,
      keyId: row.keyId,
      publicKey: row.groupPublicKey,
      identifier: row.identifier,
      scheme: row.scheme,
      threshold: row.minSigners,
      maxSigners: row.maxSigners,
      exportable: row.exportable,
    });
    return { ...describeShare(row), receipt };
  });

  // The workspace gave up on a DKG session: drop its round state and the share it produced, if not yet committed.
  route(app, 'dkgAbort', async (req) => {
    ctx.dkgSessions.take(req.body.sessionId)?.destroy?.();
    const row = store.bySession(req.body.sessionId);
    const aborted = row && store.isPending(row.keyId) ? store.delete(row.keyId) : false;
    if (aborted) ctx.log.append('workspace', 'key.abort', { keyId: row!.keyId, sessionId: req.body.sessionId });
    return { aborted };
  });

  route(app, 'signRound1', async (req) =>
    heavyStep(ctx, 'sign.round1', async () => {
      const { params, caller, approvedBy, consume } = authorizer.authorizeBatch(req.body.auth, ['SIGN'], req.body.approvals);
      // The call's use and the log entry are on disk before any nonce exists: nothing signs unlogged.
      const row = await spendingUse(
        ctx,
        consume,
        req.body.keyId,
        async () => {
          if (!params.keyIds.includes(req.body.keyId)) throw new WrError('PERMISSION_DENIED', `the caller did not ask to sign with ${req.body.keyId}`);
          const row = store.get(req.body.keyId);
          if (!row) throw new WrError('NOT_FOUND', `no key share ${req.body.keyId} on ${ctx.config.nodeId}`);
          requireCommitted(ctx, row.keyId);
          return row;
        },
        (row) => {
          ctx.log.append(caller.apiKeyId, 'key.sign', {
            ...(approvedBy && { approvedBy }),
            keyId: row.keyId,
            publicKey: row.groupPublicKey,
            messageSha256: sha256Hex(fromHex(params.message, 'message')),
          });
          return row;
        },
      );
      const signingShare = store.signingShare(row);
      try {
        const r = signRound1(row.scheme as SchemeName, { identifier: row.identifier, signingShare });
        // The message to sign is fixed now, from the signed call: round 2 signs nothing else.
        const entry: SignSession = { nonces: r.nonces, message: params.message, destroy: () => r.nonces.destroy() };
        if (!nonces.put(`${req.body.sessionId} ${row.keyId}`, entry)) {
          r.nonces.destroy();
          throw new WrError('CONFLICT', `signing session ${req.body.sessionId} already has nonces for ${row.keyId}`);
        }
        return { commitments: r.commitments as unknown as Record<string, unknown> };
      } finally {
        signingShare.destroy();
      }
    }),
  );

  route(app, 'signRound2', async (req) =>
    heavyStep(ctx, 'sign.round2', async () => {
      const n = nonces.take(`${req.body.sessionId} ${req.body.keyId}`);
      // Nonces are memory only: a node that restarted since round 1 has none. The call can be run again.
      if (!n)
        throw new WrError(
          'NODE_UNAVAILABLE',
          `${ctx.config.nodeId} holds no nonces for signing session ${req.body.sessionId} (it restarted, or the session expired or already ran): sign again`,
        );
      const row = store.get(req.body.keyId);
      if (!row) throw new WrError('NOT_FOUND', `no key share ${req.body.keyId} on ${ctx.config.nodeId}`);
      const signingShare: Secret<Uint8Array> = store.signingShare(row);
      try {
        const share = signRound2(
          row.scheme as SchemeName,
          { identifier: row.identifier, signingShare },
          decodePublicKeyPackage(row.publicPackage),
          n.nonces,
          req.body.commitments as SigningCommitments[],
          fromHex(n.message, 'message'),
        );
        return { signatureShare: share };
      } finally {
        n.destroy();
        signingShare.destroy();
      }
    }),
  );
}

function takeDkg(ctx: NodeContext, sessionId: string): DkgSession {
  const s = ctx.dkgSessions.take(sessionId);
  // Round state is memory only: a node that restarted mid-session lost it. The key generation can be run again.
  if (!s)
    throw new WrError(
      'NODE_UNAVAILABLE',
      `${ctx.config.nodeId} holds no state for DKG session ${sessionId} (it restarted, or the session expired or was aborted): create the key again`,
    );
  return s;
}
