/**
 * Node identity keys: Ed25519 (RFC 8032) on node:crypto. A node signs its DKG
 * messages and the key-share envelopes it exports with this key; peers and
 * importers verify against its public key, given as 64 lowercase hex digits.
 *
 * The secret key is the RFC 8032 32-byte seed, always held in a Secret.
 * Threshold (FROST) signing is something else: see frost/signing.ts.
 */
import { randomBytes } from 'node:crypto';

import { fromHex, invalidArgument, PUBLIC_KEY_BYTES, publicKeyOfSeed, Secret, seedOf, SIGNATURE_BYTES, signRaw, toHex, verifyRaw } from '@wr/common';

/** A fresh node signing key. */
export function generateSigningKey(): { secretKey: Secret<Uint8Array>; publicKey: string } {
  const secretKey = new Secret(new Uint8Array(randomBytes(32)));
  return { secretKey, publicKey: toHex(publicKeyOfSeed(secretKey)) };
}

/** Public keys of live signing keys, as @wr/common caches their key objects: each DKG session asks again. */
const publicKeys = new WeakMap<Secret<Uint8Array>, string>();

/** The public key (hex) of a node signing key. */
export function signingPublicKey(secretKey: Secret<Uint8Array>): string {
  seedOf(secretKey);
  let hex = publicKeys.get(secretKey);
  if (hex === undefined) publicKeys.set(secretKey, (hex = toHex(publicKeyOfSeed(secretKey))));
  return hex;
}

/** Ed25519 signature (hex, 64 bytes) over `msg`. Callers domain-separate `msg` themselves. */
export function signBytes(secretKey: Secret<Uint8Array>, msg: Uint8Array): string {
  if (!(msg instanceof Uint8Array)) throw invalidArgument('msg', 'must be bytes');
  return toHex(signRaw(secretKey, msg, 'secretKey'));
}

/**
 * Verifies an Ed25519 signature (OpenSSL, RFC 8032: a non-canonical S is refused):
 * non-canonical encodings are refused. Returns false on any malformed input;
 * never throws.
 */
export function verifyBytes(publicKeyHex: string, msg: Uint8Array, sigHex: string): boolean {
  try {
    if (!(msg instanceof Uint8Array)) return false;
    const pk = fromHex(publicKeyHex, 'publicKey', PUBLIC_KEY_BYTES);
    const sig = fromHex(sigHex, 'signature', SIGNATURE_BYTES);
    return verifyRaw(pk, msg, sig);
  } catch {
    return false;
  }
}
