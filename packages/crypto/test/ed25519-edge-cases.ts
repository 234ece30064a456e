/** For the differential tests: Ed25519 encodings RFC 9591 §3.1 DeserializeElement must refuse, a seeded rng, outcomes to compare. */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';

import { WrError, toHex } from '@wr/common';

import { hex } from './helpers.js';

export const Point = ed25519.Point;
export const L = Point.Fn.ORDER;

/** Small-order points (orders 1, 2, 4, 4, 8, 8). */
export const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
];

/** y + p for y in 0..18, with either sign bit: the only non-canonical encodings of y. */
export function nonCanonical(y: number, sign: boolean): string {
  const v = (1n << 255n) - 19n + BigInt(y);
  const b = Buffer.from(v.toString(16).padStart(64, '0'), 'hex').reverse();
  if (sign) b[31]! |= 0x80;
  return b.toString('hex');
}

/** Canonical encodings whose y has no x on the curve. */
export const OFF_CURVE: string[] = [];
for (let y = 2n; OFF_CURVE.length < 4; y++) {
  const b = Buffer.from(y.toString(16).padStart(64, '0'), 'hex').reverse();
  try {
    Point.fromBytes(b, false);
  } catch {
    OFF_CURVE.push(b.toString('hex'));
  }
}

/** A point of order 8: added to a prime-order point it gives a mixed-order one. */
export const T8 = Point.fromBytes(hex(SMALL_ORDER[4]!), false);

export type BadElementKind = 'small-order' | 'mixed-order' | 'non-canonical' | 'off-curve' | 'random';
export const BAD_ELEMENT_KINDS: BadElementKind[] = ['small-order', 'mixed-order', 'non-canonical', 'off-curve', 'random'];

/** An encoding of `kind` that DeserializeElement refuses (random bytes: most likely); `honest` is a valid element's hex. */
export function badElement(kind: BadElementKind, pick: number, honest: string, bytes: Uint8Array): string {
  switch (kind) {
    case 'small-order':
      return SMALL_ORDER[pick % SMALL_ORDER.length]!;
    case 'mixed-order':
      return toHex(Point.fromBytes(hex(honest), false).add(T8).toBytes());
    case 'non-canonical':
      return nonCanonical(pick % 19, pick % 2 === 1);
    case 'off-curve':
      return OFF_CURVE[pick % OFF_CURVE.length]!;
    case 'random':
      return toHex(bytes);
  }
}

/** noble's verdict: RFC 9591 §3.1 DeserializeElement (canonical, on the curve, prime order, not the identity). */
export function nobleValid(h: string): boolean {
  try {
    const p = Point.fromBytes(hex(h), false);
    p.assertValidity();
    return !p.is0() && p.isTorsionFree() && toHex(p.toBytes()) === h;
  } catch {
    return false;
  }
}

/** A deterministic rng from a seed (noble's Rng type; up to 64 bytes a call). */
export function seededRng(seed: Uint8Array) {
  let counter = 0;
  return (len = 32) => sha512(Uint8Array.from([...seed, counter++])).slice(0, len);
}

type Outcome = { ok: unknown } | { code: string; check?: string; culprits?: string[]; message: string };

function describeError(err: unknown): Outcome {
  if (!(err instanceof WrError)) throw err;
  const e = err as WrError & { check?: string; culprits?: readonly string[] };
  return { code: e.code, check: e.check, culprits: e.culprits && [...e.culprits], message: e.message };
}

/** What `fn` returned (bytes as hex), or the WrError it threw (code, check, culprits, message); any other error is rethrown. */
export function describeOutcome(fn: () => unknown): Outcome {
  try {
    const v = fn();
    return { ok: v instanceof Uint8Array ? toHex(v) : v };
  } catch (err) {
    return describeError(err);
  }
}

/** describeOutcome of an async `fn`. */
export async function describeOutcomeAsync(fn: () => Promise<unknown>): Promise<Outcome> {
  try {
    const v = await fn();
    return { ok: v instanceof Uint8Array ? toHex(v) : v };
  } catch (err) {
    return describeError(err);
  }
}
