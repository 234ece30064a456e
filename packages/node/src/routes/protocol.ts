import type { FastifyInstance } from 'fastify';
import { WrError, fromHex, type Secret } from '@wr/common';
import {
  decodePublicKeyPackage,
  dkgRound1,
  dkgRound2,
  dkgRound3,
  encodePublicKeyPackage,
  signRound1,
  signRound2,
  type DkgParticipant,
  type DkgRound1Message,
  type DkgRound2Message,
  type SchemeName,
  type SecretDkgState,
  type SecretNonces,
  type SigningCommitments,
} from '@wr/crypto';
import { measured } from '@wr/server';
import type { NodeContext } from '../context.js';
import { describeShare } from './shares.js';

const sessionId = { type: 'string', pattern: '^ses_[0-9a-z]{26}$' } as const;
const keyId = { type: 'string', pattern: '^key_[0-9a-z]{26}$' } as const;
const messages = { type: 'array', maxItems: 64, items: { type: 'object' } } as const;
const body = (required: string[], properties: Record<string, unknown>) => ({ type: 'object', additionalProperties: false, required, properties });

/**
 * This node's part of distributed key generation and of signing. Round state
 * (DKG secrets, nonces) lives in memory and is taken once; the workspace only
 * relays messages, and round-2 DKG packages are encrypted to their receiver.
 */
export function protocolRoutes(app: FastifyInstance, ctx: NodeContext): void {
  const { store, keyring, http, dkgSessions, nonces } = ctx;

  app.post<{ Body: { sessionId: string; scheme: SchemeName; minSigners: number; participants: DkgParticipant[]; self: string } }>(
    '/v1/dkg/round1',
    {
      schema: {
        body: body(['sessionId', 'scheme', 'minSigners', 'participants', 'self'], {
          sessionId,
          scheme: { type: 'string' },
          minSigners: { type: 'integer', minimum: 2, maximum: 16 },
          participants: { type: 'array', minItems: 2, maxItems: 16, items: { type: 'object' } },
          self: { type: 'string', maxLength: 128 },
        }),
      },
    },
    async (req) =>
      measured(http, 'dkg.round1', async () => {
        const b = req.body;
        const me = b.participants.find((p) => p.identifier === b.self);
        if (!me || me.recipient !== keyring.recipient || me.signingKey !== keyring.signingPublicKey) {
          throw new WrError('INVALID_ARGUMENT', 'participants: this node is not listed with its own keys', { param: 'participants' });
        }
        const { state, message } = dkgRound1({
          sessionId: b.sessionId,
          scheme: b.scheme,
          minSigners: b.minSigners,
          participants: b.participants,
          self: b.self,
          signingKey: keyring.signingKey,
        });
        if (!dkgSessions.put(b.sessionId, state)) throw new WrError('CONFLICT', `DKG session ${b.sessionId} already started on this node`);
        return { message };
      }),
  );

  app.post<{ Body: { sessionId: string; round1: DkgRound1Message[] } }>(
    '/v1/dkg/round2',
    { schema: { body: body(['sessionId', 'round1'], { sessionId, round1: messages }) } },
    async (req) =>
      measured(http, 'dkg.round2', async () => {
        const state = takeDkg(ctx, req.body.sessionId);
        const out = await dkgRound2(state, req.body.round1);
        dkgSessions.put(req.body.sessionId, state);
        return { messages: out };
      }),
  );

  app.post<{ Body: { sessionId: string; round2: DkgRound2Message[]; exportable: boolean } }>(
    '/v1/dkg/round3',
    { schema: { body: body(['sessionId', 'round2', 'exportable'], { sessionId, round2: messages, exportable: { type: 'boolean' } }) } },
    async (req) =>
      measured(http, 'dkg.round3', async () => {
        const done = store.bySession(req.body.sessionId);
        if (done) return describeShare(done);
        const state = takeDkg(ctx, req.body.sessionId);
        const result = await dkgRound3(state, req.body.round2, keyring.x25519Identity);
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
              exportable: req.body.exportable,
              epoch: 0,
              dkgSession: req.body.sessionId,
            },
            new Date().toISOString(),
          );
          return describeShare(store.get(keyId)!);
        } finally {
          result.secret.signingShare.destroy();
        }
      }),
  );

  // The workspace gave up on a DKG session: drop its round state and any share it produced.
  app.post<{ Body: { sessionId: string } }>('/v1/dkg/abort', { schema: { body: body(['sessionId'], { sessionId }) } }, async (req) => {
    ctx.dkgSessions.take(req.body.sessionId)?.destroy?.();
    const row = store.bySession(req.body.sessionId);
    return { aborted: row ? store.delete(row.keyId) : false };
  });

  app.post<{ Body: { sessionId: string; keyId: string } }>(
    '/v1/sign/round1',
    { schema: { body: body(['sessionId', 'keyId'], { sessionId, keyId }) } },
    async (req) =>
      measured(http, 'sign.round1', async () => {
        const row = store.get(req.body.keyId);
        if (!row) throw new WrError('NOT_FOUND', `no key share ${req.body.keyId} on ${ctx.config.nodeId}`);
        const signingShare = store.signingShare(row);
        try {
          const r = signRound1(row.scheme as SchemeName, { identifier: row.identifier, signingShare });
          if (!nonces.put(`${req.body.sessionId} ${row.keyId}`, r.nonces)) {
            r.nonces.destroy();
            throw new WrError('CONFLICT', `signing session ${req.body.sessionId} already has nonces for ${row.keyId}`);
          }
          return { commitments: r.commitments };
        } finally {
          signingShare.destroy();
        }
      }),
  );

  app.post<{ Body: { sessionId: string; keyId: string; commitments: SigningCommitments[]; message: string } }>(
    '/v1/sign/round2',
    {
      schema: {
        body: body(['sessionId', 'keyId', 'commitments', 'message'], {
          sessionId,
          keyId,
          commitments: messages,
          message: { type: 'string', maxLength: 131072, pattern: '^([0-9a-f]{2})*$' },
        }),
      },
    },
    async (req) =>
      measured(http, 'sign.round2', async () => {
        const n = nonces.take(`${req.body.sessionId} ${req.body.keyId}`);
        // Nonces are memory only: a node that restarted since round 1 has none. The call can be run again.
        if (!n) throw new WrError('NODE_UNAVAILABLE', `${ctx.config.nodeId} holds no nonces for signing session ${req.body.sessionId} (it restarted, or the session expired or already ran): sign again`);
        const row = store.get(req.body.keyId);
        if (!row) throw new WrError('NOT_FOUND', `no key share ${req.body.keyId} on ${ctx.config.nodeId}`);
        const signingShare: Secret<Uint8Array> = store.signingShare(row);
        try {
          const share = signRound2(
            row.scheme as SchemeName,
            { identifier: row.identifier, signingShare },
            decodePublicKeyPackage(row.publicPackage),
            n,
            req.body.commitments,
            fromHex(req.body.message, 'message'),
          );
          return { signatureShare: share };
        } finally {
          n.destroy();
          signingShare.destroy();
        }
      }),
  );
}

function takeDkg(ctx: NodeContext, sessionId: string): SecretDkgState {
  const s = ctx.dkgSessions.take(sessionId);
  // Round state is memory only: a node that restarted mid-session lost it. The key generation can be run again.
  if (!s) throw new WrError('NODE_UNAVAILABLE', `${ctx.config.nodeId} holds no state for DKG session ${sessionId} (it restarted, or the session expired or was aborted): create the key again`);
  return s;
}
