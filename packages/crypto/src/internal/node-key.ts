/** Helpers shared by the node-key API (../signing.ts) and the code that signs protocol messages. */
import { ed25519 } from '@noble/curves/ed25519.js';

import { Secret, invalidArgument } from '@wr/common';

export const SEED_BYTES = 32;
export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/** The 32-byte RFC 8032 seed inside a node signing key; INVALID_ARGUMENT naming `param` otherwise. */
export function seedOf(secretKey: Secret<Uint8Array>, param = 'secretKey'): Uint8Array {
  if (!(secretKey instanceof Secret) || secretKey.destroyed) throw invalidArgument(param, 'must be a live Secret holding an Ed25519 seed');
  const seed = secretKey.expose();
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) throw invalidArgument(param, `must hold ${SEED_BYTES} bytes`);
  return seed;
}

export function signRaw(secretKey: Secret<Uint8Array>, msg: Uint8Array, param = 'signingKey'): Uint8Array {
  return ed25519.sign(msg, seedOf(secretKey, param));
}

/** Strict RFC 8032 verification on raw bytes; false on anything malformed. */
export function verifyRaw(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  try {
    if (publicKey.length !== PUBLIC_KEY_BYTES || sig.length !== SIGNATURE_BYTES) return false;
    return ed25519.verify(sig, msg, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
