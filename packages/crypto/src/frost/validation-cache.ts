/**
 * Memoized validation, so signing with one key does not redo the subgroup and
 * VSS checks each round. Validity is a pure function of a package's canonical
 * encoding, so that encoding is the cache key. Bounded; holds public data only.
 */
import { Secret } from '@wr/common';

import { canonicalJson } from '../internal/canonical-json.js';
import { hexBytes } from '../internal/hex.js';
import { baseMultiply, parseIdentifier, parsePoint, parseScalar, type GroupElement } from './group.js';
import { validateKeyPackage, validatePublicKeyPackage } from './key-checks.js';
import type { PublicKeyPackage, SecretKeyPackage } from './key-package.js';
import { getSchemeSuite, type SchemeSuite } from './schemes.js';

const validated = new Map<string, true>();
const VALIDATED_MAX = 4096;

/** validatePublicKeyPackage, skipped for a package that passed before. */
export function validatePublicKeyPackageCached(pub: PublicKeyPackage): void {
  let key: string;
  try {
    key = canonicalJson({ s: pub.scheme, t: pub.minSigners, n: pub.maxSigners, g: pub.groupPublicKey, c: pub.commitments, v: pub.verifyingShares });
  } catch {
    return validatePublicKeyPackage(pub);
  }
  if (validated.has(key)) return;
  validatePublicKeyPackage(pub);
  if (validated.size >= VALIDATED_MAX) validated.delete(validated.keys().next().value!);
  validated.set(key, true);
}

/** Decoded verifying shares of validated packages (public points; decoding checks the subgroup, which is slow). */
const points = new Map<string, GroupElement>();

function verifyingSharePoint(scheme: SchemeSuite, hex: string | undefined): GroupElement | undefined {
  const key = `${scheme.name} ${hex}`;
  const known = points.get(key);
  if (known) return known;
  const bytes = hexBytes(hex, scheme.elementLength);
  const point = bytes && parsePoint(scheme.group, bytes);
  if (point) {
    if (points.size >= VALIDATED_MAX) points.delete(points.keys().next().value!);
    points.set(key, point);
  }
  return point;
}

/**
 * True when the public package passes validation (memoized, see above) and the
 * signing share times the base point is the share's verifying share. Any doubt
 * is `false`, and the caller runs the full checks to name what failed.
 */
export function shareMatchesValidatedPackage(pub: PublicKeyPackage, secret: SecretKeyPackage): boolean {
  try {
    validatePublicKeyPackageCached(pub);
    const scheme = getSchemeSuite(pub.scheme);
    if (parseIdentifier(scheme.group, secret.identifier) === undefined || !(secret.signingShare instanceof Secret)) return false;
    const point = verifyingSharePoint(scheme, pub.verifyingShares[secret.identifier]);
    const share = parseScalar(scheme.group, secret.signingShare.expose());
    return point !== undefined && share !== undefined && baseMultiply(scheme.group, share).equals(point);
  } catch {
    return false;
  }
}

/** validateKeyPackage with the public package's checks memoized: the share is always checked. */
export function validateKeyPackageCached(pub: PublicKeyPackage, secret: SecretKeyPackage): void {
  if (!shareMatchesValidatedPackage(pub, secret)) validateKeyPackage(pub, secret);
}
