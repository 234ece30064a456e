import { Secret, utf8 } from '@wr/common';
import { generateIdentity } from '@wr/age';
import { generateSigningKey } from '@wr/crypto';
import type { ShareStore } from './store.js';

/** The node's own keys: two age identities to receive shares, one Ed25519 key to sign what it exports. */
export interface Keyring {
  recipient: string;
  postQuantumRecipient: string;
  signingPublicKey: string;
  /** Identities to unwrap an incoming share with, X25519 first. */
  identities: Secret<string>[];
  x25519Identity: Secret<string>;
  signingKey: Secret<Uint8Array>;
}

const asText = (s: Secret<Uint8Array>) => new Secret(new TextDecoder().decode(s.expose()));

/** Loads the node's keys, creating and sealing them on first start. */
export async function loadKeyring(store: ShareStore): Promise<Keyring> {
  const x = await store.nodeSecret('age-x25519', async () => {
    const g = await generateIdentity('x25519');
    return { secret: new Secret(utf8(g.identity.expose())), public: g.recipient };
  });
  const pq = await store.nodeSecret('age-hybrid', async () => {
    const g = await generateIdentity('hybrid');
    return { secret: new Secret(utf8(g.identity.expose())), public: g.recipient };
  });
  const sig = await store.nodeSecret('signing-ed25519', async () => {
    const k = generateSigningKey();
    return { secret: k.secretKey, public: k.publicKey };
  });
  const x25519Identity = asText(x.secret);
  return {
    recipient: x.public,
    postQuantumRecipient: pq.public,
    signingPublicKey: sig.public,
    identities: [x25519Identity, asText(pq.secret)],
    x25519Identity,
    signingKey: sig.secret,
  };
}
