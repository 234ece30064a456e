/**
 * Scalar-field helpers the DKG and the share-lifecycle protocols need, on noble's field
 * `Fn`, with commitments made in the suite's group (group.ts). noble does not export its
 * polynomial evaluation or Lagrange coefficients, so the short formulas are here, with
 * the RFC step each one is; the sampling is noble's.
 *
 *   dealPolynomial      RFC 9591 Appendix C.1 coefficients (noble's randomScalar, drawn as noble's
 *                       `utils.generateSecretPolynomial` draws them), Appendix C.2 commitments,
 *                       with the constant term given
 *   evaluatePolynomial  RFC 9591 Appendix C.1 polynomial_evaluate (Horner's rule)
 *   lagrangeCoefficient RFC 9591 §4.2 derive_interpolating_value, generalised to any point `at`
 *                       (at = 0 is the RFC's; the repairable scheme evaluates at the lost identifier)
 *   randomScalars       noble's uniform scalar derivation (mapHashToField over fresh randomness)
 */
import { getMinHashLength, mapHashToField } from '@noble/curves/abstract/modular.js';
import { randomBytes } from '@noble/hashes/utils.js';

import type { GroupField } from './group.js';
import type { SchemeSuite } from './schemes.js';

/** A source of random bytes: `rng(len)` returns `len` fresh bytes (noble's RNG type). Tests inject a fixed one. */
export type Rng = (len?: number) => Uint8Array;

export const defaultRng: Rng = (len) => randomBytes(len);

/** Secret polynomial coefficients (constant term first) and their commitments coefficient × G, suite-encoded. */
export interface DealtPolynomial {
  coefficients: bigint[];
  commitments: Uint8Array[];
}

/**
 * A random polynomial with `terms` coefficients (degree terms − 1) whose constant term is
 * `constant`, and its commitments. The coefficients are drawn as noble's
 * generateSecretPolynomial draws them, from the same rng. `constant` must be non-zero (its
 * commitment would be the identity).
 */
export function dealPolynomial(scheme: SchemeSuite, terms: number, constant: bigint, rng: Rng): DealtPolynomial {
  const Fn = scheme.group.Fn;
  if (constant === 0n || constant >= Fn.ORDER) throw new Error('dealPolynomial: constant must be a non-zero scalar');
  const coefficients = [constant, ...randomScalarsOf(Fn, terms - 1, rng)];
  return { coefficients, commitments: coefficients.map((c) => scheme.group.multiplyBase(c).toBytes()) };
}

/**
 * `terms` coefficients of which the constant term is 0 (a sharing of zero, for
 * refresh); `commitments` holds those of coefficients 1…terms−1 only, since the
 * constant term's commitment is the identity, which has no encoding (RFC 9591 §3.1).
 * Draws from `rng` as noble's generateSecretPolynomial does, its random constant term included.
 */
export function dealZeroPolynomial(scheme: SchemeSuite, terms: number, rng: Rng): DealtPolynomial {
  const coefficients = randomScalarsOf(scheme.group.Fn, terms, rng);
  coefficients[0] = 0n;
  return { coefficients, commitments: coefficients.slice(1).map((c) => scheme.group.multiplyBase(c).toBytes()) };
}

/** RFC 9591 Appendix C.1 polynomial_evaluate: Σ coefficients[j] · x^j, by Horner's rule (noble's field). */
export function evaluatePolynomial(scheme: SchemeSuite, coefficients: readonly bigint[], x: bigint): bigint {
  return evaluatePolynomialIn(scheme.group.Fn, coefficients, x);
}

/** evaluatePolynomial in a given field. */
export function evaluatePolynomialIn(Fn: GroupField, coefficients: readonly bigint[], x: bigint): bigint {
  let acc = 0n;
  for (let j = coefficients.length - 1; j >= 0; j--) acc = Fn.add(Fn.mul(acc, x), coefficients[j]!);
  return acc;
}

/**
 * The Lagrange coefficient of `xi` among the distinct non-zero points `xs`,
 * evaluated at `at`: Π_{xj ≠ xi} (at − xj) / (xi − xj). With at = 0 this is
 * RFC 9591 §4.2 derive_interpolating_value. Throws if `xi` is not in `xs` or a point repeats.
 */
export function lagrangeCoefficient(scheme: SchemeSuite, xs: readonly bigint[], xi: bigint, at: bigint): bigint {
  const Fn = scheme.frost.utils.Fn;
  if (new Set(xs).size !== xs.length || !xs.includes(xi)) throw new Error('lagrangeCoefficient: invalid points');
  let num = Fn.ONE;
  let den = Fn.ONE;
  for (const xj of xs) {
    if (xj === xi) continue;
    num = Fn.mul(num, Fn.sub(at, xj));
    den = Fn.mul(den, Fn.sub(xi, xj));
  }
  return Fn.div(num, den);
}

/** `count` uniform non-zero scalars: noble's mapHashToField over getMinHashLength fresh bytes, as noble's randomScalar. */
export function randomScalars(scheme: SchemeSuite, count: number, rng: Rng): bigint[] {
  return randomScalarsOf(scheme.group.Fn, count, rng);
}

/** randomScalars in a given field. */
export function randomScalarsOf(Fn: GroupField, count: number, rng: Rng): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = mapHashToField(rng(getMinHashLength(Fn.ORDER)), Fn.ORDER, Fn.isLE);
    out.push(Fn.fromBytes(bytes));
    bytes.fill(0);
  }
  return out;
}
