/**
 * The prime-order group operations the FROST checks, DKG and share lifecycle need, behind
 * one interface so each suite keeps one code path: strict element and scalar decoding
 * (RFC 9591 §3.1 DeserializeElement / DeserializeScalar: canonical encodings only, no
 * identity, prime-order subgroup only), base and variable-base multiplication, and
 * evaluation of a VSS commitment polynomial (RFC 9591 Appendix C.2 vss_verify).
 *
 * Two implementations, neither a primitive of our own: this file's, on @noble/curves
 * points (secp256k1, and Ed25519 as the reference), and ed25519-sodium.ts's, on libsodium
 * (Ed25519 in production). schemes.ts picks a suite's group.
 */
import { hexBytes } from '@wr/common';
import { randomBytes } from '@noble/hashes/utils.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';

/** An element of a suite's group. Immutable; `equals` compares group elements, not objects. */
export interface GroupElement {
  add(other: GroupElement): GroupElement;
  /** scalar × this, constant time (the scalar may be secret). */
  multiply(scalar: bigint): GroupElement;
  /** scalar × this, possibly variable time: public scalars only. */
  multiplyUnsafe(scalar: bigint): GroupElement;
  equals(other: GroupElement): boolean;
  /** SerializeElement (the identity too, though DeserializeElement refuses it). */
  toBytes(): Uint8Array;
  is0(): boolean;
}

/** The scalar field, as noble's `Fn` (scalars stay bigints on every backend). */
export interface GroupField {
  readonly ORDER: bigint;
  readonly BYTES: number;
  readonly isLE: boolean;
  fromBytes(bytes: Uint8Array, skipValidation?: boolean): bigint;
  toBytes(n: bigint): Uint8Array;
  create(n: bigint): bigint;
  add(a: bigint, b: bigint): bigint;
  mul(a: bigint, b: bigint): bigint;
}

/** A suite's prime-order group; each suite holds its own (`SchemeSuite.group`). */
export interface Group {
  readonly elementLength: number;
  readonly Fn: GroupField;
  readonly zero: GroupElement;
  /** RFC 9591 §3.1 DeserializeElement: a canonical, non-identity, prime-order element, or undefined. */
  parse(bytes: Uint8Array): GroupElement | undefined;
  /** scalar × G, constant time (the scalar may be secret); the identity for 0. */
  multiplyBase(scalar: bigint): GroupElement;
}

/** noble's Edwards and Weierstrass points share these methods. */
interface NoblePoint extends GroupElement {
  assertValidity(): void;
  isTorsionFree(): boolean;
}

interface NoblePointClass {
  readonly BASE: NoblePoint;
  readonly ZERO: NoblePoint;
  readonly Fn: GroupField;
  fromBytes(bytes: Uint8Array, zip215?: boolean): NoblePoint;
}

function nobleGroup(Point: NoblePointClass, elementLength: number, fromBytes: (b: Uint8Array) => NoblePoint): Group {
  return {
    elementLength,
    Fn: Point.Fn,
    zero: Point.ZERO,
    parse(bytes) {
      if (!(bytes instanceof Uint8Array) || bytes.length !== elementLength) return undefined;
      try {
        const p = fromBytes(bytes);
        p.assertValidity();
        if (p.is0() || !p.isTorsionFree()) return undefined;
        if (!sameBytes(p.toBytes(), bytes)) return undefined;
        return p;
      } catch {
        return undefined;
      }
    },
    multiplyBase: (scalar) => (scalar === 0n ? Point.ZERO : Point.BASE.multiply(scalar)),
  };
}

/** Ed25519 on noble: the reference the libsodium group (ed25519-sodium.ts) is tested against. */
export const ED25519_NOBLE_GROUP: Group = nobleGroup(
  ed25519.Point as unknown as NoblePointClass,
  32,
  // RFC 8032 strict decoding (zip215 = false): non-canonical y is refused.
  (b) => ed25519.Point.fromBytes(b, false) as unknown as NoblePoint,
);

/** Both secp256k1 suites (plain and Taproot) share this group and its 33-byte compressed encoding. */
export const SECP256K1_GROUP: Group = nobleGroup(
  secp256k1.Point as unknown as NoblePointClass,
  33,
  (b) => secp256k1.Point.fromBytes(b) as unknown as NoblePoint,
);

/** A valid, canonical, non-identity, prime-order element, or undefined. */
export function parsePoint(g: Group, bytes: Uint8Array): GroupElement | undefined {
  return g.parse(bytes);
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
  const bytes = hexBytes(hex, g.Fn.BYTES);
  if (bytes === undefined) return undefined;
  const n = parseScalar(g, bytes);
  return n === undefined || n === 0n ? undefined : n;
}

/** scalar × G. */
export function baseMultiply(g: Group, scalar: bigint): GroupElement {
  return g.multiplyBase(scalar);
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

/**
 * RFC 9591 Appendix C.2 vss_verify for many points against one commitment polynomial:
 * the keys of `points` whose point is not Σ_j commitment[j] · id^j. Where it saves
 * multiplications it first checks a random linear combination of all of them at once,
 *   Σ_i r_i·P_i == Σ_j (Σ_i r_i·id_i^j)·C_j   (r_0 = 1, the others 128-bit random),
 * which a wrong point passes with probability 2^-128; on failure (and otherwise) each point
 * is checked on its own, so the result names every culprit.
 *
 * Neither backend has a multi-scalar multiplication faster than separate ones (libsodium has
 * none; noble's mulAddUnsafe measured slower than separate multiplications on secp256k1, which
 * has GLV), so the combination costs n − 1 + t multiplications against the n·(t − 1) of Horner's
 * rule, where a small identifier (wr numbers them 1, 2, …) costs a few additions, about half.
 */
export function vssCulprits<K>(g: Group, commitments: readonly GroupElement[], points: ReadonlyMap<K, { id: bigint; point: GroupElement }>): K[] {
  const n = points.size;
  const t = commitments.length;
  let perPoint = 0;
  for (const { id } of points.values()) perPoint += (t - 1) * (id < 32n ? 0.5 : 1);
  if (n > 1 && t > 1 && n - 1 + t < perPoint && batchHolds(g, commitments, [...points.values()])) return [];
  return [...points].filter(([, v]) => !evaluateCommitment(commitments, v.id).equals(v.point)).map(([k]) => k);
}

/** Σ scalars[i] × points[i], variable time: public inputs only. */
function sumOfProducts(g: Group, points: readonly GroupElement[], scalars: readonly bigint[]): GroupElement {
  return points.reduce((acc, p, i) => acc.add(p.multiplyUnsafe(scalars[i]!)), g.zero);
}

function batchHolds(g: Group, commitments: readonly GroupElement[], items: { id: bigint; point: GroupElement }[]): boolean {
  const { Fn } = g;
  const r = items.map((_, i) => (i === 0 ? 1n : randomScalar128()));
  const coeff = commitments.map(() => 0n);
  items.forEach((it, i) => {
    let power = r[i]!;
    for (let j = 0; j < commitments.length; j++) {
      coeff[j] = Fn.add(coeff[j]!, power);
      power = Fn.mul(power, it.id);
    }
  });
  const left = sumOfProducts(
    g,
    items.map((it) => it.point),
    r,
  );
  return left.equals(sumOfProducts(g, commitments, coeff));
}

function randomScalar128(): bigint {
  return BigInt('0x' + Buffer.from(randomBytes(16)).toString('hex')) | 1n;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
