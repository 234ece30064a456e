import type { NodeOpResponse } from '@wr/api';
import { WrError } from '@wr/common';
import { signedBody, type WorkspaceContext } from '../context.js';
import type { Handlers } from './types.js';

const asList = (r: string | string[]) => (Array.isArray(r) ? r : [r]);

/** The default target node first, then the others: where an identity or rewrap is tried. */
function nodesInTurn(ws: WorkspaceContext) {
  const first = ws.network.client(ws.network.defaultTarget);
  return [first, ...[...ws.network.clients.values()].filter((c) => c !== first)];
}

export const shareComponents: Pick<Handlers, 'EXPORT_KEY_SHARE' | 'IMPORT_KEY_SHARE' | 'REWRAPPING_KEY_SHARE' | 'GENERATE_AGE_ENCRYPTION'> = {
  async EXPORT_KEY_SHARE(ws, call, p) {
    const recipients = asList(p.ageRecipient);
    const { client, share } = await ws.network.locate(p.keyId);
    if (!share.exportable) throw new WrError('NOT_EXPORTABLE', `key share ${p.keyId} was created with exportable: false; it never leaves its node`);
    const r = await ws.network.forgettingOnNotFound([p.keyId], () =>
      client.call('exportShare', { params: { keyId: p.keyId }, body: signedBody(call) }, call.requestId),
    );
    await ws.audit.append(
      call.caller.apiKeyId,
      'share.export',
      {
        keyId: p.keyId,
        nodeId: client.nodeId,
        publicKey: share.publicKey,
        identifier: share.identifier,
        recipients,
      },
      call,
    );
    return { wrappedKeyShare: r.wrappedKeyShare, receipt: r.receipt };
  },

  async IMPORT_KEY_SHARE(ws, call, p) {
    const nodeId = p.nodeId ?? ws.network.defaultTarget;
    const client = ws.network.client(nodeId);
    const r = await client.call('importShare', { body: signedBody(call) }, call.requestId);
    ws.network.learn(nodeId, r);
    // Both at once: on SQLite, one group commit for the two.
    await Promise.all([
      ws.network.remember(r.keyId, nodeId, r.publicKey, r.identifier, call),
      ws.audit.append(
        call.caller.apiKeyId,
        'share.import',
        {
          keyId: r.keyId,
          nodeId,
          publicKey: r.publicKey,
          identifier: r.identifier,
          alreadyPresent: r.alreadyPresent,
        },
        call,
      ),
    ]);
    return { keyId: r.keyId, nodeId, publicKey: r.publicKey, scheme: r.scheme, identifier: r.identifier, alreadyPresent: r.alreadyPresent, receipt: r.receipt };
  },

  // Runs inside a node: the one that sealed the identity given, or (for identity text) the default target node.
  async REWRAPPING_KEY_SHARE(ws, call) {
    let held: WrError | undefined;
    for (const client of nodesInTurn(ws)) {
      let r: NodeOpResponse<'rewrap'>;
      try {
        r = await client.call('rewrap', { body: signedBody(call) }, call.requestId);
      } catch (err) {
        // Sealed by another node, or this node holds another share of the key: the next node may do it.
        if (err instanceof WrError && err.code === 'NO_IDENTITY_MATCH' && err.param === 'ageIdentity') continue;
        if (err instanceof WrError && err.code === 'CONFLICT') {
          held ??= err;
          continue;
        }
        throw err;
      }
      await ws.audit.append(call.caller.apiKeyId, 'share.rewrap', {
        publicKey: r.groupPublicKey,
        identifier: r.identifier,
        source: r.source,
        recipients: r.recipients,
        nodeId: client.nodeId,
      });
      return { rewrappedKeyShare: r.rewrappedKeyShare, ...r.fresh };
    }
    if (held) throw held;
    throw new WrError(
      'INVALID_ARGUMENT',
      'ageIdentity: no node of this network can rewrap with it: an encryptedPrivateKey ' +
        'protected by a passphrase opens with `age -d`, then pass the AGE-SECRET-KEY line',
      { param: 'ageIdentity' },
    );
  },

  // Made inside the default target node, which seals it to itself (or to the passphrase): the workspace never holds it.
  async GENERATE_AGE_ENCRYPTION(ws, call) {
    const client = ws.network.client(ws.network.defaultTarget);
    const r = await client.call('generateIdentity', { body: signedBody(call) }, call.requestId);
    await ws.audit.append(call.caller.apiKeyId, 'age.generate', { publicKey: r.publicKey, sealedTo: r.sealedTo });
    return { publicKey: r.publicKey, encryptedPrivateKey: r.encryptedPrivateKey };
  },
};
