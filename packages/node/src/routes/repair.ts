import type { FastifyInstance } from 'fastify';
import { sha256Hex, type CallerAuth, type RosterNode } from '@wr/api';
import { WrError, hexBytes, signRaw, toHex, utf8, verifyRaw } from '@wr/common';
import {
  ShareInvalidError,
  decodePublicKeyPackage,
  openLifecycleMessage,
  repairStep1,
  repairStep2,
  repairStep3,
  sealLifecycleMessage,
  type PublicKeyPackage,
  type RepairDelta,
  type RepairSigma,
  type SealedLifecycleMessage,
  type SecretRepairState,
} from '@wr/crypto';
import { measured } from '@wr/server';
import { adoptBackupPolicy, keptPolicy, policyDigest, refreshBackups } from '../backups.js';
import type { NodeContext } from '../context.js';
import { SessionStore } from '../sessions.js';
import { route } from './route.js';
import { describeShare, receiptFor, requireCommitted } from './shares.js';

type Participant = RosterNode & { identifier: string };

/** A repair between rounds: a helper's round secret, or the target's view of the session (keys from the roster, never from the relay). */
interface RepairSession {
  publicKey: string;
  publicPackage: string;
  pub: PublicKeyPackage;
  helpers: Participant[];
  participant: Participant;
  /** A helper's state between round 1 and 2; absent at the target. */
  state: SecretRepairState | undefined;
  requester: string;
  destroy(): void;
}

/**
 * What a helper signs in round 1: the session, the key, its node and
 * identifier, the share epoch, the hash of the public package it helps with,
 * the helpers and the participant being repaired, and whether the key's shares
 * are exportable, and the digest of the backup policy it hands on. The target
 * takes the package, epoch and policy only if every helper signed this over them.
 */
export function repairStatementBytes(
  sessionId: string,
  publicKey: string,
  s: { nodeId: string; identifier: string; epoch: number; publicPackage: string; exportable: boolean; backupPolicy: string },
  helpers: { nodeId: string; identifier: string }[],
  participant: { nodeId: string; identifier: string },
): Uint8Array {
  return utf8(
    [
      'wr/repair-statement/v2',
      sessionId,
      publicKey,
      s.nodeId,
      s.identifier,
      String(s.epoch),
      sha256Hex(s.publicPackage),
      helpers.map((h) => `${h.nodeId}=${h.identifier}`).join(','),
      `${participant.nodeId}=${participant.identifier}`,
      s.exportable ? '1' : '0',
      s.backupPolicy,
    ].join('\n'),
  );
}

/**
 * Repairing a lost share (REPAIR_KEY_SHARE) on a node that holds none of the
 * key, with the workspace as relay:
 *
 *   repairRound1  at every helper and the target: checks the caller's signed
 *                 REPAIR_KEY_SHARE (key, identifier and target node come from
 *                 it), every node against the roster; the target holds no share
 *                 of the key; a helper's package is the relay's. A helper splits
 *                 its weighted share (repairStep1) into deltas sealed to the other
 *                 helpers, and signs a statement of the package and epoch.
 *   repairRound2  at every helper: opens the deltas sealed to it, adds them
 *                 (repairStep2), and seals the sigma to the target.
 *   repairRound3  at the target: checks every helper's statement, opens the
 *                 sigmas, adds them and checks the share against its verifying
 *                 share (repairStep3), then stores it (tombstones respected).
 *   repairAbort   drops the round state; nothing was stored.
 */
export function repairRoutes(app: FastifyInstance, ctx: NodeContext): void {
  const { store, keyring, http, authorizer, config } = ctx;
  const sessions = new SessionStore<RepairSession>(5 * 60_000);
  app.addHook('onClose', async () => sessions.close());

  const rosterNode = (nodeId: string) => ctx.roster.node(nodeId, 'repairs');
  const lost = (sessionId: string) =>
    new WrError(
      'NODE_UNAVAILABLE',
      `${config.nodeId} holds no state for repair session ${sessionId} (it restarted, or the session expired or was aborted): repair again`,
    );

  route(app, 'repairRound1', async (req) =>
    measured(http, 'repair.round1', async () => {
      const b = req.body;
      const { params, caller } = authorizer.authorize(b.auth, ['REPAIR_KEY_SHARE'], 'repair', b.approvals);
      const pub = decodePublicKeyPackage(b.publicPackage);
      if (pub.groupPublicKey !== params.publicKey) throw new WrError('PERMISSION_DENIED', 'the relay sent the package of another key than the caller signed');
      if (b.participant.nodeId !== params.nodeId || b.participant.identifier !== params.identifier)
        throw new WrError('PERMISSION_DENIED', `the caller signed a repair of ${params.identifier} on ${params.nodeId}, not what the relay named`);
      if (
        new Set(b.helpers.map((h) => h.nodeId)).size !== b.helpers.length ||
        new Set(b.helpers.map((h) => h.identifier)).size !== b.helpers.length ||
        b.helpers.some((h) => h.nodeId === params.nodeId || h.identifier === params.identifier)
      )
        throw new WrError('PERMISSION_DENIED', 'the relay named a helper twice, or the target among the helpers');
      const helpers = b.helpers.map((h) => ({ ...rosterNode(h.nodeId), identifier: h.identifier }));
      const participant = { ...rosterNode(params.nodeId), identifier: params.identifier };
      const row = store.byGroupKey(params.publicKey);
      const base = { publicKey: params.publicKey, publicPackage: b.publicPackage, pub, helpers, participant, requester: caller.apiKeyId };

      if (params.nodeId === config.nodeId) {
        if (row)
          throw new WrError(
            'CONFLICT',
            `${config.nodeId} already holds participant ${row.identifier} of this key (${row.keyId}): one node never holds two shares of a key`,
          );
        if (!sessions.put(b.sessionId, { ...base, state: undefined, destroy: () => undefined }))
          throw new WrError('CONFLICT', `repair session ${b.sessionId} already started on this node`);
        return { sealed: [] };
      }
      const me = helpers.find((h) => h.nodeId === config.nodeId);
      if (!me) throw new WrError('PERMISSION_DENIED', `${config.nodeId} is neither a helper nor the target of this repair`);
      if (!row) throw new WrError('NOT_FOUND', `no share of key ${params.publicKey} on ${config.nodeId}`);
      requireCommitted(ctx, row.keyId);
      if (row.publicPackage !== b.publicPackage)
        throw new WrError('PERMISSION_DENIED', `the relay's package of ${params.publicKey} is not the one this node holds (epoch ${row.epoch})`);
      if (me.identifier !== row.identifier) throw new WrError('PERMISSION_DENIED', `participant ${row.identifier} is this node's share, not ${me.identifier}`);
      const signingShare = store.signingShare(row);
      let r: ReturnType<typeof repairStep1>;
      try {
        r = repairStep1({
          sessionId: b.sessionId,
          pub,
          epoch: row.epoch,
          helpers: helpers.map((h) => h.identifier),
          participant: params.identifier,
          secret: { identifier: row.identifier, signingShare },
        });
      } finally {
        signingShare.destroy();
      }
      try {
        const sealed = await Promise.all(
          r.deltas.map((m) =>
            sealLifecycleMessage('repair-delta', m, { signingKey: keyring.signingKey, recipient: helpers.find((h) => h.identifier === m.to)!.recipientKey }),
          ),
        );
        const backupPolicy = keptPolicy(ctx, row.groupPublicKey);
        const facts = {
          nodeId: config.nodeId,
          identifier: row.identifier,
          epoch: row.epoch,
          publicPackage: b.publicPackage,
          exportable: row.exportable,
          backupPolicy: policyDigest(backupPolicy),
        };
        const signature = toHex(signRaw(keyring.signingKey, repairStatementBytes(b.sessionId, params.publicKey, facts, b.helpers, b.participant)));
        const state = r.state;
        if (!sessions.put(b.sessionId, { ...base, state, destroy: () => state.destroy() })) {
          state.destroy();
          throw new WrError('CONFLICT', `repair session ${b.sessionId} already started on this node`);
        }
        return {
          statement: { nodeId: config.nodeId, epoch: row.epoch, exportable: row.exportable, signature, ...(backupPolicy && { backupPolicy }) },
          sealed: sealed as unknown as Record<string, unknown>[],
        };
      } catch (err) {
        r.state.destroy();
        throw err;
      } finally {
        r.deltas.forEach((m) => m.delta.destroy());
      }
    }),
  );

  route(app, 'repairRound2', async (req) =>
    measured(http, 'repair.round2', async () => {
      const b = req.body;
      const session = sessions.take(b.sessionId);
      if (!session) throw lost(b.sessionId);
      const opened: RepairDelta[] = [];
      try {
        if (!session.state) throw new WrError('PERMISSION_DENIED', `${config.nodeId} is the target of repair ${b.sessionId}, not a helper`);
        const byId = new Map(session.helpers.map((h) => [h.identifier, h]));
        for (const s of b.sealed as unknown as SealedLifecycleMessage[]) {
          if (s.to !== session.state.self) continue;
          const from = byId.get(s.from);
          if (!from) throw new WrError('INVALID_ARGUMENT', `sealed: ${String(s.from)} is not a helper`, { param: 'sealed' });
          opened.push(await openLifecycleMessage('repair-delta', s, { ageIdentity: keyring.x25519Identity, senderSigningKey: from.signingKey }));
        }
        const sigma = repairStep2(session.state, opened);
        try {
          return {
            sealed: [
              (await sealLifecycleMessage('repair-sigma', sigma, {
                signingKey: keyring.signingKey,
                recipient: session.participant.recipientKey,
              })) as unknown as Record<string, unknown>,
            ],
          };
        } finally {
          sigma.sigma.destroy();
        }
      } finally {
        session.destroy();
        opened.forEach((m) => m.delta.destroy());
      }
    }),
  );

  route(app, 'repairRound3', async (req) =>
    measured(http, 'repair.round3', async () => {
      const b = req.body;
      const session = sessions.take(b.sessionId);
      if (!session) throw lost(b.sessionId);
      if (session.state) {
        session.destroy();
        throw new WrError('PERMISSION_DENIED', `${config.nodeId} is a helper of repair ${b.sessionId}, not its target`);
      }
      // Every helper's statement, signed by its roster node, of one epoch: the package and epoch are the helpers' word, not the relay's.
      let epoch: number | undefined;
      let exportable = true;
      const policies: CallerAuth[] = [];
      for (const h of session.helpers) {
        const st = b.statements.find((x) => x.nodeId === h.nodeId);
        if (!st) throw new WrError('PERMISSION_DENIED', `no statement from helper ${h.nodeId}`);
        const facts = {
          nodeId: h.nodeId,
          identifier: h.identifier,
          epoch: st.epoch,
          publicPackage: session.publicPackage,
          exportable: st.exportable,
          backupPolicy: policyDigest(st.backupPolicy),
        };
        if (st.backupPolicy) policies.push(st.backupPolicy);
        const sig = hexBytes(st.signature, 64);
        if (
          !sig ||
          !verifyRaw(hexBytes(h.signingKey, 32)!, repairStatementBytes(b.sessionId, session.publicKey, facts, session.helpers, session.participant), sig)
        )
          throw new ShareInvalidError('repair-statement', `repair: ${h.nodeId} did not sign this package, set of helpers and backup policy; abort`, [
            h.identifier,
          ]);
        if (epoch !== undefined && st.epoch !== epoch)
          throw new ShareInvalidError('repair-epoch', `repair: ${h.nodeId} helps from epoch ${st.epoch}, another helper from ${epoch}`, [h.identifier]);
        epoch = st.epoch;
        exportable &&= st.exportable;
      }
      if (epoch === undefined) throw new WrError('PERMISSION_DENIED', 'no helper named');
      const byId = new Map(session.helpers.map((h) => [h.identifier, h]));
      const opened: RepairSigma[] = [];
      try {
        for (const s of b.sealed as unknown as SealedLifecycleMessage[]) {
          if (s.to !== session.participant.identifier) continue;
          const from = byId.get(s.from);
          if (!from) throw new WrError('INVALID_ARGUMENT', `sealed: ${String(s.from)} is not a helper`, { param: 'sealed' });
          opened.push(await openLifecycleMessage('repair-sigma', s, { ageIdentity: keyring.x25519Identity, senderSigningKey: from.signingKey }));
        }
        const result = repairStep3(
          {
            sessionId: b.sessionId,
            pub: session.pub,
            epoch,
            helpers: session.helpers.map((h) => h.identifier),
            participant: session.participant.identifier,
          },
          opened,
        );
        try {
          // The insert refuses a share this node deleted or saw retired at this epoch (tombstones), or a second share of the key.
          const { keyId } = store.insert(
            {
              scheme: result.public.scheme,
              groupPublicKey: result.public.groupPublicKey,
              identifier: result.secret.identifier,
              minSigners: result.public.minSigners,
              maxSigners: result.public.maxSigners,
              publicPackage: session.publicPackage,
              signingShare: result.secret.signingShare,
              origin: 'generated',
              exportable,
              epoch,
            },
            new Date().toISOString(),
          );
          const row = store.get(keyId)!;
          // The backup policy follows the key: the repaired share keeps the helpers' policy and is backed up at once.
          adoptBackupPolicy(ctx, row.groupPublicKey, policies);
          await refreshBackups(ctx, row.groupPublicKey);
          ctx.log.append(session.requester, 'key.repair', {
            keyId,
            sessionId: b.sessionId,
            publicKey: row.groupPublicKey,
            identifier: row.identifier,
            epoch,
            helpers: session.helpers.map((h) => h.nodeId),
          });
          return {
            ...describeShare(row),
            receipt: receiptFor(ctx, {
              kind: 'repair',
              nodeId: config.nodeId,
              keyId,
              publicKey: row.groupPublicKey,
              identifier: row.identifier,
            }),
          };
        } finally {
          result.secret.signingShare.destroy();
        }
      } finally {
        opened.forEach((m) => m.sigma.destroy());
      }
    }),
  );

  route(app, 'repairAbort', async (req) => {
    const s = sessions.take(req.body.sessionId);
    s?.destroy();
    return { aborted: s !== undefined };
  });
}
