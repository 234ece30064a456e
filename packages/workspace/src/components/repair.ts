import { WrError } from '@wr/common';
import { decodePublicKeyPackage } from '@wr/crypto';
import { signedBody } from '../context.js';
import { allSettledOrThrow } from './keys.js';
import type { Handlers } from './types.js';

export const repairComponents: Pick<Handlers, 'REPAIR_KEY_SHARE'> = {
  /**
   * Rebuilds a lost share on a node that holds none of the key, relayed (see
   * the node's routes/repair.ts): round 1 at a quorum of helpers and the target
   * (each checks the signed call; helpers seal deltas to each other), round 2 at
   * the helpers (sigmas sealed to the target), round 3 at the target (checked
   * against its verifying share, stored). Nothing else changes: same package,
   * same epoch. A failure aborts; nothing was stored.
   */
  async REPAIR_KEY_SHARE(ws, call, p) {
    const target = ws.network.client(p.nodeId, 'nodeId');
    const found = await Promise.allSettled(
      [...ws.network.clients.values()].map(async (client) => ({
        client,
        share: await client.call('findShare', { params: { publicKey: p.publicKey } }, call.requestId),
      })),
    );
    const held = found.flatMap((f) => (f.status === 'fulfilled' ? [f.value] : []));
    if (held.length === 0) throw new WrError('NOT_FOUND', `publicKey: no node that answered holds a share of ${p.publicKey}`, { param: 'publicKey' });
    const already = held.find((h) => h.client.nodeId === p.nodeId);
    if (already) throw new WrError('CONFLICT', `${p.nodeId} already holds participant ${already.share.identifier} of this key: repair onto another node`);
    const twin = held.find((h) => h.share.identifier === p.identifier);
    if (twin) throw new WrError('CONFLICT', `participant ${p.identifier} is not lost: ${twin.client.nodeId} holds it`);
    // The helpers: holders at the newest epoch, all with the same package.
    const epoch = Math.max(...held.map((h) => h.share.epoch));
    const publicPackage = held.find((h) => h.share.epoch === epoch)!.share.publicPackage;
    const pub = decodePublicKeyPackage(publicPackage);
    if (!Object.prototype.hasOwnProperty.call(pub.verifyingShares, p.identifier))
      throw new WrError('INVALID_ARGUMENT', `identifier: ${p.identifier} is not a participant of this key`, { param: 'identifier' });
    const quorum = held.filter((h) => h.share.publicPackage === publicPackage).slice(0, pub.minSigners);
    if (quorum.length < pub.minSigners)
      throw new WrError('NODE_UNAVAILABLE', `only ${quorum.length} holders of ${p.publicKey} answered; a repair needs ${pub.minSigners}: retry`, {
        retryable: true,
      });
    const helpers = quorum.map((h) => ({ nodeId: h.client.nodeId, identifier: h.share.identifier }));
    const participant = { nodeId: p.nodeId, identifier: p.identifier };
    const everyone = [...quorum.map((h) => h.client), target];
    const sessionId = call.sessionId;
    try {
      const r1 = await allSettledOrThrow(
        everyone.map((c) => c.call('repairRound1', { body: { sessionId, publicPackage, helpers, participant, ...signedBody(call) } }, call.requestId)),
      );
      const statements = r1.flatMap((r) => (r.statement ? [r.statement] : []));
      const deltas = r1.flatMap((r) => r.sealed) as { to?: unknown }[];
      const r2 = await allSettledOrThrow(
        quorum.map((h) =>
          h.client.call(
            'repairRound2',
            { body: { sessionId, sealed: deltas.filter((d) => d.to === h.share.identifier) as Record<string, unknown>[] } },
            call.requestId,
          ),
        ),
      );
      const done = await target.call('repairRound3', { body: { sessionId, statements, sealed: r2.flatMap((r) => r.sealed) } }, call.requestId);
      await ws.network.remember(done.keyId, p.nodeId, p.publicKey, done.identifier);
      await ws.audit.append(call.caller.apiKeyId, 'key.repair', {
        publicKey: p.publicKey,
        identifier: p.identifier,
        nodeId: p.nodeId,
        keyId: done.keyId,
        epoch: done.epoch,
        helpers: helpers.map((h) => h.nodeId),
      });
      return { keyId: done.keyId, nodeId: p.nodeId, identifier: done.identifier, receipt: done.receipt };
    } catch (err) {
      await Promise.allSettled(everyone.map((c) => c.call('repairAbort', { body: { sessionId } }, call.requestId)));
      throw err;
    }
  },
};
