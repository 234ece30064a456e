import { WrError, utf8, type Secret } from '@wr/common';
import { generateIdentity, parseIdentityFile, unwrap, wrap, wrapWithPassphrase } from '@wr/age';
import { openEnvelope } from '@wr/crypto';
import type { WorkspaceContext } from '../context.js';
import type { ShareInfo } from '../node-client.js';
import type { Handlers } from './types.js';

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';

const asList = (r: string | string[]) => (Array.isArray(r) ? r : [r]);

/** An identity file's text, as age-keygen writes it, so `age -d` then `age -d -i` works. */
function identityFile(identity: string, recipient: string): string {
  return `# created: ${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')}\n# public key: ${recipient}\n${identity}\n`;
}

/** Seals an identity so that only this workspace opens it (REWRAPPING_KEY_SHARE accepts it back). */
async function sealForWorkspace(ws: WorkspaceContext, identity: string, recipient: string, postQuantum: boolean): Promise<string> {
  return wrap(utf8(identityFile(identity, recipient)), [postQuantum ? ws.own.postQuantumRecipient : ws.own.recipient]);
}

/** `ageIdentity` as given: identity text, or an encryptedPrivateKey this workspace sealed. */
async function resolveIdentities(ws: WorkspaceContext, ageIdentity: string): Promise<Secret<string>[]> {
  let text = ageIdentity;
  if (ageIdentity.trimStart().startsWith(ARMOR_BEGIN)) {
    try {
      text = new TextDecoder().decode(await unwrap(ageIdentity, { identities: ws.own.identities }));
    } catch (err) {
      if (err instanceof WrError && err.code === 'NO_IDENTITY_MATCH') {
        throw new WrError(
          'INVALID_ARGUMENT',
          'ageIdentity: this encryptedPrivateKey was not sealed by this workspace; one protected by a passphrase opens with `age -d`, then pass the AGE-SECRET-KEY line',
          { param: 'ageIdentity' },
        );
      }
      throw new WrError('INVALID_ARGUMENT', 'ageIdentity: the encryptedPrivateKey is damaged', { param: 'ageIdentity' });
    }
  }
  return parseIdentityFile(text, 'ageIdentity');
}

export const shareComponents: Pick<Handlers, 'EXPORT_KEY_SHARE' | 'IMPORT_KEY_SHARE' | 'REWRAPPING_KEY_SHARE' | 'GENERATE_AGE_ENCRYPTION'> = {
  async EXPORT_KEY_SHARE(ws, call, p) {
    const recipients = asList(p.ageRecipient);
    const { client, share } = await ws.network.locate(p.keyId);
    if (!share.exportable) throw new WrError('NOT_EXPORTABLE', `key share ${p.keyId} was created with exportable: false; it never leaves its node`);
    const r = await ws.network.forgettingOnNotFound([p.keyId], () =>
      client.request<{ wrappedKeyShare: string }>('POST', `/v1/shares/${p.keyId}/export`, { auth: call.auth }, call.requestId),
    );
    ws.audit.append(call.caller.apiKeyId, 'share.export', { keyId: p.keyId, nodeId: client.nodeId, publicKey: share.publicKey, identifier: share.identifier, recipients });
    return { wrappedKeyShare: r.wrappedKeyShare };
  },

  async IMPORT_KEY_SHARE(ws, call, p) {
    const nodeId = p.nodeId ?? ws.network.defaultTarget;
    const client = ws.network.client(nodeId);
    const r = await client.request<ShareInfo & { alreadyPresent: boolean }>('POST', '/v1/shares/import', { auth: call.auth }, call.requestId);
    ws.network.remember(r.keyId, nodeId, r.publicKey, r.identifier);
    ws.audit.append(call.caller.apiKeyId, 'share.import', { keyId: r.keyId, nodeId, publicKey: r.publicKey, identifier: r.identifier, alreadyPresent: r.alreadyPresent });
    return { keyId: r.keyId, nodeId, publicKey: r.publicKey, scheme: r.scheme, identifier: r.identifier, alreadyPresent: r.alreadyPresent };
  },

  async REWRAPPING_KEY_SHARE(ws, call, p) {
    const identities = await resolveIdentities(ws, p.ageIdentity);
    const plaintext = await unwrap(p.wrappedKeyShare, { identities });
    try {
      // Only a valid share from one of this network's nodes is passed on.
      const opened = openEnvelope(plaintext, { trustedExporterKeys: ws.network.signingKeys() });
      opened.secret.signingShare.destroy();
      let recipients: string[];
      let fresh: { publicKey: string; encryptedPrivateKey: string } | undefined;
      if (p.ageRecipient) {
        recipients = asList(p.ageRecipient);
      } else {
        const postQuantum = identities.some((i) => i.expose().startsWith('AGE-SECRET-KEY-PQ-1'));
        const g = await generateIdentity(postQuantum ? 'hybrid' : 'x25519');
        fresh = { publicKey: g.recipient, encryptedPrivateKey: await sealForWorkspace(ws, g.identity.expose(), g.recipient, postQuantum) };
        g.identity.destroy();
        recipients = [g.recipient];
      }
      const rewrappedKeyShare = await wrap(plaintext, recipients);
      ws.audit.append(call.caller.apiKeyId, 'share.rewrap', {
        publicKey: opened.public.groupPublicKey,
        identifier: opened.secret.identifier,
        source: opened.source,
        recipients,
      });
      return { rewrappedKeyShare, ...fresh };
    } finally {
      plaintext.fill(0);
    }
  },

  async GENERATE_AGE_ENCRYPTION(ws, call, p) {
    const postQuantum = p.postQuantum ?? false;
    const g = await generateIdentity(postQuantum ? 'hybrid' : 'x25519');
    try {
      const encryptedPrivateKey = p.passphrase
        ? await wrapWithPassphrase(utf8(identityFile(g.identity.expose(), g.recipient)), p.passphrase)
        : await sealForWorkspace(ws, g.identity.expose(), g.recipient, postQuantum);
      ws.audit.append(call.caller.apiKeyId, 'age.generate', { publicKey: g.recipient, sealedTo: p.passphrase ? 'passphrase' : 'workspace' });
      return { publicKey: g.recipient, encryptedPrivateKey };
    } finally {
      g.identity.destroy();
    }
  },
};
