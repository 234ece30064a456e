import type { FastifyInstance } from 'fastify';
import { formatIdentityFile, generateIdentity, isAgeFile, openIdentityFile, parseIdentityFile, recipientOf, unwrap, wrap, wrapWithPassphrase } from '@wr/age';
import { openEnvelope } from '@wr/crypto';
import { Secret, WrError, fromHex, signRaw, toHex, utf8, verifyRaw } from '@wr/common';
import type { NodeContext } from '../context.js';
import { heavyStep, route } from './route.js';

const SEAL_COMMENT = /^wr-sealed-identity: v1 ([a-z0-9-]+) (ak_[a-z2-7]{16}) ([0-9a-f]{128})$/;

const sealMessage = (nodeId: string, owner: string, recipient: string) => utf8(`wr-sealed-identity-v1\n${nodeId}\n${owner}\n${recipient}`);

/**
 * Age identities the network hands out, and rewraps. Both run here, inside a
 * node, for a call the caller signed: the workspace never holds an identity
 * or a share in the clear.
 *
 * An identity made without a passphrase comes back sealed to this node: an
 * age file only this node opens, holding an identity file as age-keygen
 * writes it, with one more comment line that names its owner (the API key
 * that asked for it), signed by this node. Only that owner, or a key with
 * keys:export, may rewrap with it.
 */
export function identityRoutes(app: FastifyInstance, ctx: NodeContext): void {
  const { keyring, config, authorizer, store } = ctx;

  async function sealToSelf(identity: Secret<string>, recipient: string, owner: string, postQuantum: boolean): Promise<string> {
    const signature = toHex(signRaw(keyring.signingKey, sealMessage(config.nodeId, owner, recipient)));
    const file = formatIdentityFile(identity, recipient, [`wr-sealed-identity: v1 ${config.nodeId} ${owner} ${signature}`]);
    return wrap(file, [postQuantum ? keyring.postQuantumRecipient : keyring.recipient]);
  }

  /**
   * `ageIdentity` as given: identity text; the caller's identity wrapped to this
   * node; or an encryptedPrivateKey this node sealed, which the caller may use.
   */
  async function resolveIdentities(ageIdentity: string, caller: { apiKeyId: string; scopes: ReadonlySet<string> }): Promise<Secret<string>[]> {
    if (!isAgeFile(ageIdentity)) return parseIdentityFile(ageIdentity, 'ageIdentity');
    let opened;
    try {
      opened = await openIdentityFile(ageIdentity, { identities: keyring.identities });
    } catch (err) {
      if (err instanceof WrError && err.code === 'NO_IDENTITY_MATCH') {
        throw new WrError('NO_IDENTITY_MATCH', `ageIdentity: ${config.nodeId} did not seal this encryptedPrivateKey`, { param: 'ageIdentity' });
      }
      throw new WrError('INVALID_ARGUMENT', 'ageIdentity: the encryptedPrivateKey is damaged', { param: 'ageIdentity' });
    }
    const { identities, comments } = opened;
    const seal = comments.map((c) => SEAL_COMMENT.exec(c)).find((m) => m !== null);
    // No seal: the caller's own identity, wrapped to this node by the SDK so that the workspace never saw it.
    if (!seal) return identities;
    const recipient = identities.length === 1 ? await recipientOf(identities[0]!) : '';
    if (
      seal[1] !== config.nodeId ||
      !verifyRaw(fromHex(keyring.signingPublicKey, 'signingKey', 32), sealMessage(seal[1], seal[2]!, recipient), fromHex(seal[3]!, 'signature', 64))
    ) {
      throw new WrError('INVALID_ARGUMENT', "ageIdentity: this encryptedPrivateKey does not carry this node's seal", { param: 'ageIdentity' });
    }
    if (seal[2] !== caller.apiKeyId && !caller.scopes.has('keys:export')) {
      throw new WrError('PERMISSION_DENIED', `this encryptedPrivateKey belongs to API key ${seal[2]}; only it, or a key with keys:export, may rewrap with it`);
    }
    return identities;
  }

  route(app, 'generateIdentity', async (req) =>
    heavyStep(ctx, 'age.generate', async () => {
      const { params, caller, approvedBy } = authorizer.authorize(req.body.auth, ['GENERATE_AGE_ENCRYPTION'], 'generate', req.body.approvals);
      const postQuantum = params.postQuantum ?? false;
      const g = await generateIdentity(postQuantum ? 'hybrid' : 'x25519');
      try {
        const encryptedPrivateKey = params.passphrase
          ? await wrapWithPassphrase(formatIdentityFile(g.identity, g.recipient), params.passphrase)
          : await sealToSelf(g.identity, g.recipient, caller.apiKeyId, postQuantum);
        const sealedTo = params.passphrase ? 'passphrase' : config.nodeId;
        ctx.log.append(caller.apiKeyId, 'age.generate', { ...(approvedBy && { approvedBy }), publicKey: g.recipient, sealedTo });
        return { publicKey: g.recipient, encryptedPrivateKey, sealedTo };
      } finally {
        g.identity.destroy();
      }
    }),
  );

  route(app, 'rewrap', async (req) =>
    heavyStep(ctx, 'rewrap', async () => {
      const { params, caller, approvedBy } = authorizer.authorize(req.body.auth, ['REWRAPPING_KEY_SHARE'], 'rewrap', req.body.approvals);
      const identities = await resolveIdentities(params.ageIdentity, caller);
      const plaintext = await unwrap(params.wrappedKeyShare, { identities });
      try {
        // Only a valid share from a node of the roster is passed on.
        const opened = openEnvelope(plaintext, { trustedExporterKeys: ctx.roster.signingKeys() });
        opened.secret.signingShare.destroy();
        const held = store.otherShareOf(opened.public.groupPublicKey, opened.secret.identifier);
        if (held) throw new WrError('CONFLICT', `${config.nodeId} holds another share of this key (${held.keyId}); it does not open this one`);
        let recipients: string[];
        let fresh: { publicKey: string; encryptedPrivateKey: string } | undefined;
        if (params.ageRecipient) {
          recipients = Array.isArray(params.ageRecipient) ? params.ageRecipient : [params.ageRecipient];
        } else {
          const postQuantum = identities.some((i) => i.expose().startsWith('AGE-SECRET-KEY-PQ-1'));
          const g = await generateIdentity(postQuantum ? 'hybrid' : 'x25519');
          fresh = { publicKey: g.recipient, encryptedPrivateKey: await sealToSelf(g.identity, g.recipient, caller.apiKeyId, postQuantum) };
          g.identity.destroy();
          recipients = [g.recipient];
        }
        const rewrappedKeyShare = await wrap(plaintext, recipients);
        ctx.log.append(caller.apiKeyId, 'share.rewrap', {
          ...(approvedBy && { approvedBy }),
          publicKey: opened.public.groupPublicKey,
          identifier: opened.secret.identifier,
          source: opened.source,
          recipients,
        });
        return {
          rewrappedKeyShare,
          fresh,
          groupPublicKey: opened.public.groupPublicKey,
          identifier: opened.secret.identifier,
          source: opened.source,
          recipients,
        };
      } finally {
        plaintext.fill(0);
      }
    }),
  );
}
