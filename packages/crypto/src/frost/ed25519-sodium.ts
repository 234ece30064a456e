/**
 * The point-heavy part of RFC 9591 FROST(Ed25519, SHA-512) signing on libsodium
 * (`libsodium-wrappers-sumo`, WASM shipped inside the npm package): §4.5 the group
 * commitment, §5.2 sign(), §5.3 aggregate() and §5.4 verify_signature_share(). It
 * computes exactly what noble's ed25519_FROST does (signShare/aggregate/verifyShare),
 * §5.1 commit(), 5–15× faster; noble stays the reference (test/sign-path-differential.test.ts) and
 * does the scalar arithmetic here (Fn). Hashes are RFC 9591 §6.1 on @noble/hashes
 * sha512: H1 "rho", H2 undecorated (RFC 8032), H4 "msg", H5 "com".
 *
 * Element checks are RFC 9591 §3.1 DeserializeElement, as group.ts parsePoint does
 * them: crypto_core_ed25519_is_valid_point refuses a non-canonical encoding, a point
 * off the curve, a small-order point (the identity among them) and a point outside
 * the prime-order subgroup.
 *
 * The aggregate is checked with node:crypto's RFC 8032 verify (cofactorless, s < L,
 * R compared byte for byte). Every element is checked to be of prime order first, so
 * this accepts exactly what noble's cofactored check and Scheme.verify accept.
 *
 * ED25519_SODIUM_GROUP is the suite's Group (group.ts) on the same calls, for the DKG, the
 * key-package checks and the share lifecycle; group.ts's ED25519_NOBLE_GROUP is its reference
 * (test/dkg-differential.test.ts).
 *
 * Pure: bytes in, bytes out. libsodium loads once, at module load (top-level await).
 */
import sodium from 'libsodium-wrappers-sumo';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';

import { verifyRaw } from '@wr/common';

import type { Group, GroupElement } from './group.js';

await sodium.ready;

const Fn = ed25519.Point.Fn;
const CONTEXT = 'FROST-ED25519-SHA512-v1';
const H1_PREFIX = utf8ToBytes(CONTEXT + 'rho');
const H3_PREFIX = utf8ToBytes(CONTEXT + 'nonce');
const H4_PREFIX = utf8ToBytes(CONTEXT + 'msg');
const H5_PREFIX = utf8ToBytes(CONTEXT + 'com');

/** A commitment list entry: identifier (SerializeScalar, hex) and the two nonce commitments. */
export interface Ed25519Commitment {
  identifier: string;
  hiding: Uint8Array;
  binding: Uint8Array;
}

/** Thrown when an element fails DeserializeElement, or libsodium refuses an operation. */
export class Ed25519ElementError extends Error {}

/** RFC 9591 §3.1 DeserializeElement: canonical, on the curve, prime order, not the identity. */
export function isValidElement(bytes: Uint8Array): boolean {
  return bytes instanceof Uint8Array && bytes.length === 32 && sodium.crypto_core_ed25519_is_valid_point(bytes);
}

/**
 * Encodings seen valid: group keys, verifying shares and commitments, checked again each time
 * a package is validated or a key signs. Validity is a pure function of the bytes. Bounded
 * (oldest out first); public data only.
 */
const validKeys = new Set<string>();
const VALID_KEYS_MAX = 4096;

/** isValidElement, memoized: for public elements that come back (keys, verifying shares, commitments); the sign path never passes nonce commitments. */
function isValidKeyElement(bytes: Uint8Array): boolean {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) return false;
  const key = Buffer.from(bytes).toString('hex');
  if (validKeys.has(key)) return true;
  if (!isValidElement(bytes)) return false;
  if (validKeys.size >= VALID_KEYS_MAX) validKeys.delete(validKeys.values().next().value!);
  validKeys.add(key);
  return true;
}

/** sha512 reduced mod L, little-endian (the Ed25519 suite's hash-to-scalar). */
const hashToScalar = (...parts: Uint8Array[]): bigint => Fn.create(bytesToNumberLE(sha512(concatBytes(...parts))));

function bytesToNumberLE(b: Uint8Array): bigint {
  return BigInt('0x' + (Buffer.from(b).reverse().toString('hex') || '0'));
}

const toBytes = (n: bigint): Uint8Array => Fn.toBytes(n);

function mul(scalar: bigint, point: Uint8Array): Uint8Array {
  // crypto_scalarmult_ed25519_noclamp itself refuses a point outside the prime-order subgroup and a zero result.
  try {
    return sodium.crypto_scalarmult_ed25519_noclamp(toBytes(scalar), point);
  } catch {
    throw new Ed25519ElementError('scalar multiplication refused');
  }
}

function add(p: Uint8Array, q: Uint8Array): Uint8Array {
  try {
    return sodium.crypto_core_ed25519_add(p, q);
  } catch {
    throw new Ed25519ElementError('point addition refused');
  }
}

/** scalar·B, constant time (the scalar may be a secret nonce; its byte copy is zeroed after). */
function base(scalar: bigint): Uint8Array {
  const bytes = toBytes(scalar);
  try {
    return sodium.crypto_scalarmult_ed25519_base_noclamp(bytes);
  } catch {
    throw new Ed25519ElementError('base multiplication refused');
  } finally {
    bytes.fill(0);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

interface Session {
  /** Sorted by identifier (RFC 9591 §4.3). */
  list: { identifier: string; id: bigint; hiding: Uint8Array; binding: Uint8Array }[];
  bindingFactors: Map<string, bigint>;
  groupCommitment: Uint8Array;
  challenge: bigint;
}

/** RFC 9591 §4.4 binding factors, §4.5 group commitment and §4.6 challenge; every element is checked first. */
function session(groupKey: Uint8Array, commitments: Ed25519Commitment[], message: Uint8Array): Session {
  if (!isValidKeyElement(groupKey)) throw new Ed25519ElementError('group key is not a valid element');
  const list = commitments.map((c) => {
    // The binding commitment gets the same check inside mul() below (crypto_scalarmult_ed25519_noclamp runs
    // is_valid_point's checks before it multiplies), so it is not checked twice; its length is checked here.
    if (!isValidElement(c.hiding) || c.binding.length !== 32) throw new Ed25519ElementError(`commitment of ${c.identifier} is not a valid element`);
    return { identifier: c.identifier, id: Fn.fromBytes(Buffer.from(c.identifier, 'hex')), hiding: c.hiding, binding: c.binding };
  });
  list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const encoded = concatBytes(...list.flatMap((c) => [toBytes(c.id), c.hiding, c.binding]));
  const rhoPrefix = concatBytes(groupKey, sha512(concatBytes(H4_PREFIX, message)), sha512(concatBytes(H5_PREFIX, encoded)));
  const bindingFactors = new Map<string, bigint>();
  let groupCommitment: Uint8Array | undefined;
  for (const c of list) {
    const rho = hashToScalar(H1_PREFIX, rhoPrefix, toBytes(c.id));
    bindingFactors.set(c.identifier, rho);
    const share = add(c.hiding, mul(rho, c.binding));
    groupCommitment = groupCommitment ? add(groupCommitment, share) : share;
  }
  if (!groupCommitment) throw new Ed25519ElementError('empty commitment list');
  const challenge = hashToScalar(groupCommitment, groupKey, message);
  return { list, bindingFactors, groupCommitment, challenge };
}

/** RFC 9591 §4.2 derive_interpolating_value. */
function lambda(ids: bigint[], x: bigint): bigint {
  let num = Fn.ONE;
  let den = Fn.ONE;
  for (const j of ids) {
    if (j === x) continue;
    num = Fn.mul(num, j);
    den = Fn.mul(den, Fn.sub(j, x));
  }
  return Fn.div(num, den);
}

/**
 * RFC 9591 §5.1 commit(): two nonces from §4.1 nonce_generate (H3 of 32 random bytes and
 * the share) and their commitments, as noble's commit(secret, rng) makes them from the same rng.
 */
export function commitEd25519(
  signingShare: Uint8Array,
  rng: (len?: number) => Uint8Array,
): { nonces: { hiding: Uint8Array; binding: Uint8Array }; commitments: { hiding: Uint8Array; binding: Uint8Array } } {
  const share = toBytes(Fn.fromBytes(signingShare));
  const hiding = hashToScalar(H3_PREFIX, rng(32), share);
  const binding = hashToScalar(H3_PREFIX, rng(32), share);
  share.fill(0);
  const nonces = { hiding: toBytes(hiding), binding: toBytes(binding) };
  return { nonces, commitments: { hiding: base(hiding), binding: base(binding) } };
}

/**
 * RFC 9591 §5.2 sign(): z_i = d_i + e_i·ρ_i + λ_i·s_i·c. Refuses (like noble's signShare)
 * nonces that are zero and a list entry for this signer that its nonces did not make.
 */
export function signShareEd25519(
  identifier: string,
  signingShare: Uint8Array,
  groupKey: Uint8Array,
  nonces: { hiding: Uint8Array; binding: Uint8Array },
  commitments: Ed25519Commitment[],
  message: Uint8Array,
): Uint8Array {
  const d = Fn.fromBytes(nonces.hiding);
  const e = Fn.fromBytes(nonces.binding);
  if (Fn.is0(d) || Fn.is0(e)) throw new Error('signing nonces already used');
  const mine = commitments.find((c) => c.identifier === identifier);
  if (!mine) throw new Error('missing signer commitment');
  if (!sameBytes(base(d), mine.hiding) || !sameBytes(base(e), mine.binding)) throw new Error('incorrect signer commitment');
  const s = session(groupKey, commitments, message);
  const x = Fn.fromBytes(Buffer.from(identifier, 'hex'));
  const l = lambda(
    s.list.map((c) => c.id),
    x,
  );
  const z = Fn.add(Fn.add(d, Fn.mul(e, s.bindingFactors.get(identifier)!)), Fn.mul(Fn.mul(l, Fn.fromBytes(signingShare)), s.challenge));
  return toBytes(z);
}

/**
 * RFC 9591 §5.3 aggregate() with the §5.4 fallback: sums the shares, checks R‖z under
 * the group key, and when that fails runs verify_signature_share on each share.
 * Returns the signature, or the culprits (possibly none: then nothing names a signer).
 */
export function aggregateEd25519(
  groupKey: Uint8Array,
  verifyingShares: Record<string, Uint8Array>,
  commitments: Ed25519Commitment[],
  message: Uint8Array,
  shares: Record<string, Uint8Array>,
): { signature: Uint8Array } | { culprits: string[] } {
  const s = session(groupKey, commitments, message);
  let z = Fn.ZERO;
  for (const c of s.list) z = Fn.add(z, Fn.fromBytes(shares[c.identifier]!));
  const signature = concatBytes(s.groupCommitment, toBytes(z));
  if (verifyRaw(groupKey, message, signature)) return { signature };
  const ids = s.list.map((c) => c.id);
  const culprits: string[] = [];
  for (const c of s.list) {
    // §5.4: z_i·B == D_i + ρ_i·E_i + (c·λ_i)·Y_i
    const Y = verifyingShares[c.identifier];
    if (!Y || !isValidKeyElement(Y)) throw new Ed25519ElementError(`verifying share of ${c.identifier} is not a valid element`);
    const zi = Fn.fromBytes(shares[c.identifier]!);
    const expected = add(add(c.hiding, mul(s.bindingFactors.get(c.identifier)!, c.binding)), mul(Fn.mul(s.challenge, lambda(ids, c.id)), Y));
    const actual = Fn.is0(zi) ? undefined : base(zi);
    if (!actual || !sameBytes(actual, expected)) culprits.push(c.identifier);
  }
  return { culprits };
}

/** Below this, multiplyUnsafe adds (at most 8 additions) rather than multiplies. */
const SMALL_SCALAR = 32n;

/** The encoding of the identity (y = 1): libsodium's add takes and returns it; its multiplications refuse it. */
const IDENTITY = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0));

/**
 * An Ed25519 element as its canonical encoding. Every instance is the identity or of prime
 * order: parse() admits only prime-order elements, and sums and multiples of those stay in
 * the subgroup. Every encoding libsodium returns is canonical, so equal elements have equal bytes.
 */
class SodiumElement implements GroupElement {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  static bytesOf(e: GroupElement): Uint8Array {
    if (!(e instanceof SodiumElement)) throw new TypeError('not an element of the libsodium Ed25519 group');
    return e.#bytes;
  }

  add(other: GroupElement): GroupElement {
    return new SodiumElement(add(this.#bytes, SodiumElement.bytesOf(other)));
  }

  multiply(scalar: bigint): GroupElement {
    // crypto_scalarmult_ed25519_noclamp is constant time, refuses the identity and a zero scalar, both of which give the identity.
    const n = Fn.create(scalar);
    return n === 0n || this.is0() ? ED25519_SODIUM_GROUP.zero : new SodiumElement(mul(n, this.#bytes));
  }

  multiplyUnsafe(scalar: bigint): GroupElement {
    // A small public scalar (a participant identifier: wr numbers them 1, 2, 3, …) by double-and-add:
    // an addition is ~15 µs, crypto_scalarmult_ed25519_noclamp ~135 µs (it checks the subgroup first).
    const n = Fn.create(scalar);
    if (n === 0n || n >= SMALL_SCALAR || this.is0()) return this.multiply(n);
    let acc: Uint8Array | undefined;
    for (let bit = BigInt(n.toString(2).length - 1); bit >= 0n; bit--) {
      if (acc) acc = add(acc, acc);
      if ((n >> bit) & 1n) acc = acc ? add(acc, this.#bytes) : this.#bytes;
    }
    return new SodiumElement(acc!);
  }

  equals(other: GroupElement): boolean {
    return sameBytes(this.#bytes, SodiumElement.bytesOf(other));
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  is0(): boolean {
    return sameBytes(this.#bytes, IDENTITY);
  }
}

/** The Ed25519 group on libsodium (see the top of this file). */
export const ED25519_SODIUM_GROUP: Group = {
  elementLength: 32,
  Fn,
  zero: new SodiumElement(IDENTITY),
  parse: (bytes) => (isValidKeyElement(bytes) ? new SodiumElement(Uint8Array.from(bytes)) : undefined),
  multiplyBase: (scalar) => {
    const n = Fn.create(scalar);
    return n === 0n ? ED25519_SODIUM_GROUP.zero : new SodiumElement(base(n));
  },
};
