// The age X25519 recipient type (C2SP age §"The X25519 recipient type") on
// node:crypto, plugged into age-encryption through its Recipient and Identity
// interfaces.
//
//   stanza    -> X25519 <base64(ephemeral share)>
//   wrap key  =  HKDF-SHA256(ikm = X25519(ephemeral, recipient),
//                            salt = ephemeral share || recipient,
//                            info = "age-encryption.org/v1/X25519")
//   body      =  ChaCha20-Poly1305(wrap key, nonce = 0^12, file key)
//
// Key import: OpenSSL 3.0's DER decoders make createPrivateKey(PKCS#8) cost
// ~700 µs and createPublicKey(SPKI) ~150 µs on Node 20, against ~60 µs and
// ~15 µs for a raw key handed over as a JWK (the path Node's own WebCrypto
// "raw" import takes). So raw keys go in as JWK. Nothing is ever *exported* as
// JWK (that can hang on Node 20); a public key is computed as X25519(k, 9),
// the definition of the public key in RFC 7748 §6.1, rather than exported.
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';

import { Stanza, type Identity, type Recipient } from 'age-encryption';

import { base64url, concatBytes, decodeBase64NoPad, encodeBase64NoPad, isAllZero } from './encoding.js';
import { MalformedStanzaError } from './errors.js';

export const X25519_STANZA = 'X25519';
const LABEL = 'age-encryption.org/v1/X25519';
const KEY_SIZE = 32;
const FILE_KEY_SIZE = 16;
const TAG_SIZE = 16;
const ZERO_NONCE = new Uint8Array(12);

/** The X25519 base point, u = 9 (RFC 7748 §4.1). */
const BASE_POINT = importPublicKey(Uint8Array.of(9, ...new Uint8Array(31)));

/** Used only to test public keys for small order; never leaves this module. */
const PROBE_KEY = generateKeyPairSync('x25519').privateKey;

/** A raw 32-byte X25519 public key (u-coordinate) as a KeyObject. */
export function importPublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: base64url(raw) }, format: 'jwk' });
}

/**
 * A raw 32-byte X25519 private key as a KeyObject. Node reads only `d` for a
 * private OKP key (`x` must merely be a string), so none is computed here.
 */
export function importPrivateKey(scalar: Uint8Array): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: base64url(scalar), x: '' }, format: 'jwk' });
}

/** X25519(k, 9): the raw public key of a private key. */
export function publicKeyOf(privateKey: KeyObject): Uint8Array {
  return new Uint8Array(diffieHellman({ privateKey, publicKey: BASE_POINT }));
}

/**
 * X25519(k, u), or null if the result is the all-zero value (u of small order),
 * which age forbids. OpenSSL already refuses to return it (and throws); the
 * explicit check keeps the rule independent of the backend.
 */
function sharedSecret(privateKey: KeyObject, publicKey: KeyObject | Uint8Array): Buffer | null {
  let secret: Buffer;
  try {
    const peer = publicKey instanceof Uint8Array ? importPublicKey(publicKey) : publicKey;
    secret = diffieHellman({ privateKey, publicKey: peer });
  } catch {
    return null;
  }
  if (isAllZero(secret)) return null;
  return secret;
}

function wrapKey(secret: Uint8Array, share: Uint8Array, recipient: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, concatBytes(share, recipient), LABEL, KEY_SIZE));
}

/** ChaCha20-Poly1305 with the all-zero nonce: ciphertext || tag. */
export function sealFileKey(key: Uint8Array, fileKey: Uint8Array): Uint8Array {
  const cipher = createCipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: TAG_SIZE });
  const body = cipher.update(fileKey);
  cipher.final();
  return concatBytes(body, cipher.getAuthTag());
}

/** Opens a 32-byte stanza body, or null if it does not authenticate under `key`. */
export function openFileKey(key: Uint8Array, body: Uint8Array): Uint8Array | null {
  const decipher = createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: TAG_SIZE });
  decipher.setAuthTag(body.subarray(FILE_KEY_SIZE));
  const fileKey = decipher.update(body.subarray(0, FILE_KEY_SIZE));
  try {
    decipher.final();
  } catch {
    fileKey.fill(0);
    return null;
  }
  return new Uint8Array(fileKey);
}

/** Encrypts file keys to one X25519 recipient. Holds only public data. */
export class X25519Recipient implements Recipient {
  readonly #raw: Uint8Array;
  readonly #key: KeyObject;

  /**
   * `publicKey` is the raw 32-byte u-coordinate (the bech32 payload of
   * `age1...`). Throws RangeError for a wrong length or a small-order point,
   * which would give every sender the same all-zero shared secret.
   */
  constructor(publicKey: Uint8Array) {
    if (publicKey.length !== KEY_SIZE) throw new RangeError('an X25519 public key is 32 bytes');
    this.#raw = Uint8Array.from(publicKey);
    this.#key = importPublicKey(this.#raw);
    // X25519(k, u) is zero for a clamped k exactly when u has small order.
    const probe = sharedSecret(PROBE_KEY, this.#key);
    if (probe === null) throw new RangeError('the X25519 public key is a small-order point');
    probe.fill(0);
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const ephemeral = generateKeyPairSync('x25519').privateKey;
    const share = publicKeyOf(ephemeral);
    const secret = sharedSecret(ephemeral, this.#key);
    if (secret === null) throw new RangeError('the X25519 public key is a small-order point');
    const key = wrapKey(secret, share, this.#raw);
    secret.fill(0);
    const body = sealFileKey(key, fileKey);
    key.fill(0);
    return [new Stanza([X25519_STANZA, encodeBase64NoPad(share)], body)];
  }
}

/**
 * Decrypts file keys wrapped to one X25519 identity. Keeps the private key as
 * an opaque KeyObject (never as bytes) and its public key, so one instance can
 * be reused across files without re-importing.
 */
export class X25519Identity implements Identity {
  readonly #key: KeyObject;
  readonly #recipient: Uint8Array;

  /** `scalar` is the raw 32-byte private key (the bech32 payload of `AGE-SECRET-KEY-1...`); it is not retained. */
  constructor(scalar: Uint8Array) {
    if (scalar.length !== KEY_SIZE) throw new RangeError('an X25519 private key is 32 bytes');
    this.#key = importPrivateKey(scalar);
    this.#recipient = publicKeyOf(this.#key);
  }

  /** The raw 32-byte public key. */
  get publicKey(): Uint8Array {
    return Uint8Array.from(this.#recipient);
  }

  /**
   * Returns the file key from the first X25519 stanza that opens, or null when
   * none does (stanzas of other types are skipped). Throws MalformedStanzaError
   * only for an X25519 stanza that breaks the format: wrong argument count,
   * non-canonical or wrong-length share, wrong-length body, or an all-zero
   * shared secret.
   */
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== X25519_STANZA) continue;
      if (s.args.length !== 2) throw new MalformedStanzaError(X25519_STANZA);
      const share = decodeBase64NoPad(s.args[1]!);
      if (share === null || share.length !== KEY_SIZE) throw new MalformedStanzaError(X25519_STANZA);
      if (s.body.length !== FILE_KEY_SIZE + TAG_SIZE) throw new MalformedStanzaError(X25519_STANZA);
      const secret = sharedSecret(this.#key, share);
      if (secret === null) throw new MalformedStanzaError(X25519_STANZA);
      const key = wrapKey(secret, share, this.#recipient);
      secret.fill(0);
      const fileKey = openFileKey(key, s.body);
      key.fill(0);
      if (fileKey !== null) return fileKey;
    }
    return null;
  }
}
