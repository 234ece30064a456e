/**
 * Group arithmetic the checks need, on @noble/curves points: strict element and
 * scalar decoding (RFC 9591 §3.1 DeserializeElement / DeserializeScalar: canonical
 * encodings only, no identity, prime-order subgroup only) and evaluation of a VSS
 * commitment polynomial (RFC 9591 Appendix C.2 vss_verify). Not a primitive of our
 * own: it composes noble's point operations.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';

/** The point operations used here, common to noble's Edwards and Weierstrass points. */
export interface GroupElement {
  add(other: GroupElement): GroupElement;
  multiply(scalar: bigint): GroupElement;
  multiplyUnsafe(scalar: bigint): GroupElement;
  equals(other: GroupElement): boolean;
  toBytes(): Uint8Array;
  is0(): boolean;
  isTorsionFree(): boolean;
  assertValidity(): void;
}

interface GroupField {
  readonly ORDER: bigint;
  readonly BYTES: number;
  fromBytes(bytes: Uint8Array, skipValidation?: boolean): bigint;
  toBytes(n: bigint): Uint8Array;
}

/** A suite's prime-order group, as noble implements it; each suite holds its own (`SchemeSuite.group`). */
export interface Group {
  readonly elementLength: number;
  readonly base: GroupElement;
  readonly zero: GroupElement;
  readonly Fn: GroupField;
  fromBytes(bytes: Uint8Array): GroupElement;
}

export const ED25519_GROUP: Group = {
  elementLength: 32,
  base: ed25519.Point.BASE as unknown as GroupElement,
  zero: ed25519.Point.ZERO as unknown as GroupElement,
  Fn: ed25519.Point.Fn as unknown as GroupField,
  // RFC 8032 strict decoding (zip215 = false): non-canonical y is refused.
  fromBytes: (b) => ed25519.Point.fromBytes(b, false) as unknown as GroupElement,
};

/** Both secp256k1 suites (plain and Taproot) share this group and its 33-byte compressed encoding. */
export const SECP256K1_GROUP: Group = {
  elementLength: 33,
  base: secp256k1.Point.BASE as unknown as GroupElement,
  zero: secp256k1.Point.ZERO as unknown as GroupElement,
  Fn: secp256k1.Point.Fn as unknown as GroupField,
  fromBytes: (b) => secp256k1.Point.fromBytes(b) as unknown as GroupElement,
};

/** A valid, canonical, non-identity, prime-order element, or undefined. */
export function parsePoint(g: Group, bytes: Uint8Array): GroupElement | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length !== g.elementLength) return undefined;
  try {
    const p = g.fromBytes(bytes);
    p.assertValidity();
    if (p.is0() || !p.isTorsionFree()) return undefined;
    if (!sameBytes(p.toBytes(), bytes)) return undefined;
    return p;
  } catch {
    return undefined;
  }
}

/** A canonical scalar in [0, order), or undefined. */
export function parseScalar({ Fn }: Group, bytes: Uint8Array): bigint | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length !== Fn.BYTES) return undefined;
  try {
    const n = Fn.fromBytes(bytes);
    if (n < 0n || n >= Fn.ORDER || !sameBytes(Fn.toBytes(n), bytes)) return undefined;
    return n;
  } catch {
    return undefined;
  }
}

/** A participant identifier: a canonical non-zero scalar (RFC 9591 §3.1, §5), or undefined. */
export function parseIdentifier(g: Group, hex: string): bigint | undefined {
  if (typeof hex !== 'string' || hex.length !== g.Fn.BYTES * 2 || !/^[0-9a-f]+$/.test(hex)) return undefined;
  const n = parseScalar(g, Uint8Array.from(Buffer.from(hex, 'hex')));
  return n === undefined || n === 0n ? undefined : n;
}

/** scalar × G. */
export function baseMultiply(g: Group, scalar: bigint): GroupElement {
  return scalar === 0n ? g.zero : g.base.multiply(scalar);
}

/**
 * RFC 9591 Appendix C.2: Σ_j commitment[j] · identifier^j, by Horner's rule. All
 * inputs are public, so the variable-time multiplication is fine.
 */
export function evaluateCommitment(commitments: readonly GroupElement[], identifier: bigint): GroupElement {
  let acc = commitments[commitments.length - 1];
  if (acc === undefined) throw new Error('empty commitment');
  for (let j = commitments.length - 2; j >= 0; j--) acc = acc.multiplyUnsafe(identifier).add(commitments[j]!);
  return acc;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
