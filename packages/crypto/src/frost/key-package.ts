/**
 * Key packages in ZF frost vocabulary: a PublicKeyPackage (what every holder of a
 * key knows: threshold, group key, VSS commitments, every participant's
 * verifying share) and a SecretKeyPackage (one participant's identifier and
 * signing share; MUST NOT leave its node except sealed in an envelope), with
 * their conversions to and from noble's FROST packages.
 *
 * All hex is lowercase. Identifiers are the suite's SerializeScalar encoding
 * (RFC 9591 §3.1: little-endian for Ed25519, big-endian for secp256k1), as
 * noble's `Identifier.fromNumber` produces them. The checks are in key-checks.ts.
 */
import type { FrostPublic, FrostSecret } from '@noble/curves/abstract/frost.js';

import { Secret, invalidArgument, toHex } from '@wr/common';

import { getSchemeSuite, type SchemeName } from './schemes.js';

export interface PublicKeyPackage {
  scheme: SchemeName;
  minSigners: number;
  maxSigners: number;
  /** The group public key, hex, in the form the scheme's standard verifier takes (see schemes.ts). */
  groupPublicKey: string;
  /** VSS commitments, hex; `commitments[0]` is the group key element. Length minSigners. */
  commitments: string[];
  /** identifier hex → verifying share hex, one per participant (maxSigners). */
  verifyingShares: Record<string, string>;
}

export interface SecretKeyPackage {
  identifier: string;
  signingShare: Secret<Uint8Array>;
}

/** Upper bound on maxSigners; keeps the cost of checking an untrusted package bounded. */
export const MAX_SIGNERS = 255;

/** The identifier of participant number `index` (1-based), as noble's Identifier.fromNumber. */
export function identifierFor(scheme: SchemeName, index: number): string {
  const s = getSchemeSuite(scheme);
  if (!Number.isSafeInteger(index) || index < 1 || index > 0xffff) throw invalidArgument('index', 'must be an integer from 1 to 65535');
  return s.frost.Identifier.fromNumber(index);
}

/** A deep copy (so a caller's later edits cannot reach a package we checked). */
export function copyPublicKeyPackage(pub: PublicKeyPackage): PublicKeyPackage {
  return {
    scheme: pub.scheme,
    minSigners: pub.minSigners,
    maxSigners: pub.maxSigners,
    groupPublicKey: pub.groupPublicKey,
    commitments: [...pub.commitments],
    verifyingShares: { ...pub.verifyingShares },
  };
}

/** noble's FrostPublic of a package, for signShare and aggregate. */
export function toFrostPublic(pub: PublicKeyPackage): FrostPublic {
  return {
    signers: { min: pub.minSigners, max: pub.maxSigners },
    commitments: pub.commitments.map((c) => Uint8Array.from(Buffer.from(c, 'hex'))),
    verifyingShares: Object.fromEntries(Object.entries(pub.verifyingShares).map(([k, v]) => [k, Uint8Array.from(Buffer.from(v, 'hex'))])),
  } as FrostPublic;
}

/** A PublicKeyPackage from noble's FrostPublic (trustedDealer or DKG.round3 output) or its like (dkg-pedersen.ts). Not validated. */
export function publicKeyPackageFromFrost(
  scheme: SchemeName,
  pub: Pick<FrostPublic, 'signers'> & { commitments: readonly Uint8Array[]; verifyingShares: Record<string, Uint8Array> },
): PublicKeyPackage {
  const s = getSchemeSuite(scheme);
  const commitments = pub.commitments.map((c) => toHex(c));
  return {
    scheme: s.name,
    minSigners: pub.signers.min,
    maxSigners: pub.signers.max,
    groupPublicKey: toHex(s.publicKeyForVerifier(pub.commitments[0]!)),
    commitments,
    verifyingShares: Object.fromEntries(Object.entries(pub.verifyingShares).map(([k, v]) => [k, toHex(v)])),
  };
}

/** A SecretKeyPackage holding a copy of noble's share bytes. */
export function secretKeyPackageFromFrost(secret: { identifier: FrostSecret['identifier']; signingShare: Uint8Array }): SecretKeyPackage {
  return { identifier: secret.identifier, signingShare: new Secret(Uint8Array.from(secret.signingShare)) };
}
