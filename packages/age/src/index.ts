// CONTRACT (helper A owns this folder and replaces this provisional body):
// the exported names and signatures below are what the rest of wr calls.
import { Decrypter, Encrypter, armor, generateHybridIdentity, generateX25519Identity, identityToRecipient } from 'age-encryption';

import { Secret, WrError } from '@wr/common';

export type RecipientKind = 'x25519' | 'hybrid';

/** Encrypts to one or more recipient strings (`age1...`, `age1pq1...`); returns an armored age file. */
export async function wrap(plaintext: Uint8Array, recipients: readonly string[], param = 'ageRecipient'): Promise<string> {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  void param;
  return armor.encode(await e.encrypt(plaintext));
}

/** Encrypts to a passphrase (scrypt); returns an armored age file that stock `age -d` opens. */
export async function wrapWithPassphrase(plaintext: Uint8Array, passphrase: string, opts?: { logN?: number }): Promise<string> {
  const e = new Encrypter();
  e.setPassphrase(passphrase);
  if (opts?.logN !== undefined) e.setScryptWorkFactor(opts.logN);
  return armor.encode(await e.encrypt(plaintext));
}

/**
 * Decrypts an armored or binary age file with identity strings (`AGE-SECRET-KEY-1...`,
 * `AGE-SECRET-KEY-PQ-1...`) and/or passphrases. Throws WrError NO_IDENTITY_MATCH or
 * WRAPPED_SHARE_CORRUPT (INVALID_ARGUMENT for a malformed identity).
 */
export async function unwrap(
  file: string | Uint8Array,
  keys: { identities?: readonly (string | Secret<string>)[]; passphrases?: readonly string[] },
): Promise<Uint8Array> {
  const d = new Decrypter();
  for (const i of keys.identities ?? []) d.addIdentity(typeof i === 'string' ? i : i.expose());
  for (const p of keys.passphrases ?? []) d.addPassphrase(p);
  try {
    const bin = typeof file === 'string' ? armor.decode(file) : file;
    return await d.decrypt(bin);
  } catch (err) {
    const msg = err instanceof Error ? err.message : '';
    if (msg.includes('no identity matched')) throw new WrError('NO_IDENTITY_MATCH', 'no identity matches any recipient of the wrapped share');
    throw new WrError('WRAPPED_SHARE_CORRUPT', 'the wrapped share is not a valid age file');
  }
}

export interface GeneratedIdentity {
  identity: Secret<string>;
  recipient: string;
}

export async function generateIdentity(kind: RecipientKind = 'x25519'): Promise<GeneratedIdentity> {
  const identity = kind === 'hybrid' ? await generateHybridIdentity() : await generateX25519Identity();
  return { identity: new Secret(identity), recipient: await identityToRecipient(identity) };
}

export async function recipientOf(identity: string | Secret<string>): Promise<string> {
  return identityToRecipient(typeof identity === 'string' ? identity : identity.expose());
}
