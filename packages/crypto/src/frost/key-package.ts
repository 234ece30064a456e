/**
 * Key packages in ZF frost vocabulary: a PublicKeyPackage (what every holder of a
 * key knows: threshold, group key, VSS commitments, every participant's
 * verifying share) and a SecretKeyPackage (one participant's identifier and
 * signing share; MUST NOT leave its node except sealed in an envelope).
 *
 * All hex is lowercase. Identifiers are the suite's SerializeScalar encoding
 * (RFC 9591 §3.1: little-endian for Ed25519, big-endian for secp256k1), as
 * noble's `Identifier.fromNumber` produces them.
 *
 * Checks (names are stable; reports and errors use them):
 *   scheme           — a known scheme name
 *   threshold        — integers with 2 ≤ minSigners ≤ maxSigners ≤ 255
 *   encoding         — every hex field is lowercase with the suite's length; points
 *                      decode to valid non-identity prime-order elements; identifiers
 *                      and the signing share are canonical scalars (identifiers ≠ 0)
 *   commitments      — exactly minSigners commitments; commitments[0] is the group key
 *   verifying-shares — exactly maxSigners distinct identifiers
 *   vss              — each verifying share equals the commitment polynomial evaluated
 *                      at its identifier (RFC 9591 Appendix C.2)
 *   identifier       — the secret's identifier has a verifying share
 *   signing-share    — signingShare × G equals that verifying share
 */
import type { FrostPublic, FrostSecret } from '@noble/curves/abstract/frost.js';

import { Secret, invalidArgument, toHex } from '@wr/common';

import type { CheckResult } from '../errors.js';
import { canonicalJson } from '../internal/canonical-json.js';
import { CheckRun } from '../internal/check-run.js';
import { parseDocument } from '../internal/document.js';
import { baseMultiply, evaluateCommitment, parseIdentifier, parsePoint, parseScalar, type GroupElement } from './group.js';
import { getScheme, isSchemeName, SCHEME_NAMES, type Scheme, type SchemeName } from './schemes.js';

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
  const s = getScheme(scheme);
  if (!Number.isSafeInteger(index) || index < 1 || index > 0xffff) throw invalidArgument('index', 'must be an integer from 1 to 65535');
  return s.frost.Identifier.fromNumber(index);
}

const hexRe = /^[0-9a-f]*$/;

function hexBytes(value: unknown, length: number): Uint8Array | undefined {
  if (typeof value !== 'string' || value.length !== length * 2 || !hexRe.test(value)) return undefined;
  return Uint8Array.from(Buffer.from(value, 'hex'));
}

export interface ParsedKey {
  scheme: SchemeName;
  minSigners: number;
  maxSigners: number;
  groupPublicKey: Uint8Array;
  commitments: GroupElement[];
  commitmentBytes: Uint8Array[];
  verifying: Map<string, { id: bigint; point: GroupElement }>;
  secret?: { identifier: string; id: bigint; share: bigint };
}

/** Runs scheme / threshold / encoding; returns the decoded key when they pass. */
export function parseKeyParts(run: CheckRun, pub: PublicKeyPackage, secret?: SecretKeyPackage, opts?: { schemeChecked?: boolean }): ParsedKey | undefined {
  if (typeof pub !== 'object' || pub === null) {
    run.run('encoding', () => 'the public key package must be an object');
    return undefined;
  }
  if (!opts?.schemeChecked && !run.run('scheme', () => (isSchemeName(pub.scheme) ? undefined : `unknown scheme; expected one of ${SCHEME_NAMES.join(', ')}`))) return undefined;
  if (!isSchemeName(pub.scheme)) return undefined;
  const scheme = getScheme(pub.scheme);
  const { minSigners: min, maxSigners: max } = pub;
  if (
    !run.run('threshold', () => {
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max)) return 'minSigners and maxSigners must be integers';
      if (min < 2) return 'minSigners must be at least 2';
      if (min > max) return 'minSigners must not exceed maxSigners';
      if (max > MAX_SIGNERS) return `maxSigners must be at most ${MAX_SIGNERS}`;
      return undefined;
    })
  )
    return undefined;
  let parsed: ParsedKey | undefined;
  run.run('encoding', () => {
    const gpk = hexBytes(pub.groupPublicKey, scheme.publicKeyLength);
    if (!gpk) return `groupPublicKey must be ${scheme.publicKeyLength * 2} lowercase hex digits`;
    try {
      scheme.publicKeyForVerifier(gpk);
    } catch {
      return 'groupPublicKey is not a valid public key';
    }
    if (!Array.isArray(pub.commitments)) return 'commitments must be an array';
    const commitments: GroupElement[] = [];
    const commitmentBytes: Uint8Array[] = [];
    for (const [i, c] of pub.commitments.entries()) {
      const b = hexBytes(c, scheme.elementLength);
      if (!b) return `commitments[${i}] must be ${scheme.elementLength * 2} lowercase hex digits`;
      const p = parsePoint(scheme.group, b);
      if (!p) return `commitments[${i}] is not a valid group element`;
      commitments.push(p);
      commitmentBytes.push(b);
    }
    if (typeof pub.verifyingShares !== 'object' || pub.verifyingShares === null || Array.isArray(pub.verifyingShares)) return 'verifyingShares must be an object';
    const verifying = new Map<string, { id: bigint; point: GroupElement }>();
    for (const [idHex, v] of Object.entries(pub.verifyingShares)) {
      const id = parseIdentifier(scheme.group, idHex);
      if (id === undefined) return `verifyingShares has an identifier that is not a canonical non-zero ${scheme.scalarLength}-byte scalar in lowercase hex`;
      const b = hexBytes(v, scheme.elementLength);
      if (!b) return `verifyingShares[${idHex}] must be ${scheme.elementLength * 2} lowercase hex digits`;
      const p = parsePoint(scheme.group, b);
      if (!p) return `verifyingShares[${idHex}] is not a valid group element`;
      verifying.set(idHex, { id, point: p });
    }
    parsed = { scheme: scheme.name, minSigners: min, maxSigners: max, groupPublicKey: gpk, commitments, commitmentBytes, verifying };
    if (secret !== undefined) {
      if (typeof secret !== 'object' || secret === null) return 'the secret key package must be an object';
      const id = parseIdentifier(scheme.group, secret.identifier);
      if (id === undefined) return 'identifier is not a canonical non-zero scalar in lowercase hex';
      if (!(secret.signingShare instanceof Secret) || secret.signingShare.destroyed) return 'signingShare must be a live Secret';
      const bytes = secret.signingShare.expose();
      if (!(bytes instanceof Uint8Array) || bytes.length !== scheme.scalarLength) return `signingShare must be ${scheme.scalarLength} bytes`;
      const share = parseScalar(scheme.group, bytes);
      if (share === undefined) return 'signingShare is not a canonical scalar';
      parsed.secret = { identifier: secret.identifier, id, share };
    }
    return undefined;
  });
  return run.failed ? undefined : parsed;
}

/** commitments / verifying-shares / vss / identifier / signing-share, on a decoded key. */
export function checkKeyAlgebra(run: CheckRun, k: ParsedKey): void {
  const scheme = getScheme(k.scheme);
  const commitmentsOk = run.run('commitments', () => {
    if (k.commitments.length !== k.minSigners) return `expected ${k.minSigners} commitments (minSigners), found ${k.commitments.length}`;
    const form = scheme.publicKeyForVerifier(k.commitmentBytes[0]!);
    if (toHex(form) !== toHex(k.groupPublicKey)) return 'commitments[0] is not the group public key';
    return undefined;
  });
  run.run('verifying-shares', () => (k.verifying.size === k.maxSigners ? undefined : `expected ${k.maxSigners} verifying shares (maxSigners), found ${k.verifying.size}`));
  if (commitmentsOk)
    run.run('vss', () => {
      const bad = [...k.verifying].filter(([, v]) => !evaluateCommitment(k.commitments, v.id).equals(v.point)).map(([id]) => id);
      return bad.length ? `verifying share(s) of ${bad.join(', ')} do not match the commitments` : undefined;
    });
  if (k.secret) {
    const s = k.secret;
    const ok = run.run('identifier', () => (k.verifying.has(s.identifier) ? undefined : `identifier ${s.identifier} has no verifying share`));
    if (ok)
      run.run('signing-share', () =>
        baseMultiply(scheme.group, s.share).equals(k.verifying.get(s.identifier)!.point) ? undefined : `signingShare does not match the verifying share of ${s.identifier}`,
      );
  }
}

/** Every check on a key package, as a report. */
export function checkKeyPackage(pub: PublicKeyPackage, secret?: SecretKeyPackage): CheckResult[] {
  const run = new CheckRun(false);
  const k = parseKeyParts(run, pub, secret);
  if (k) checkKeyAlgebra(run, k);
  return run.report();
}

/** Throws SHARE_INVALID (ShareInvalidError naming the check) unless the public package passes every check. */
export function validatePublicKeyPackage(pub: PublicKeyPackage): void {
  const run = new CheckRun(true);
  const k = parseKeyParts(run, pub);
  if (k) checkKeyAlgebra(run, k);
  run.throwIfFailed('public key package');
}

/**
 * validatePublicKeyPackage, memoized on the canonical encoding of the package
 * (validity is a pure function of it), so signing with one key does not redo the
 * subgroup and VSS checks each round. Bounded; holds public data only.
 */
const validated = new Map<string, true>();
const VALIDATED_MAX = 4096;

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

function verifyingSharePoint(scheme: Scheme, hex: string | undefined): GroupElement | undefined {
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
    const scheme = getScheme(pub.scheme);
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

/** Throws SHARE_INVALID (ShareInvalidError naming the check) unless the share belongs to the package. */
export function validateKeyPackage(pub: PublicKeyPackage, secret: SecretKeyPackage): void {
  const run = new CheckRun(true);
  const k = parseKeyParts(run, pub, secret);
  if (k) checkKeyAlgebra(run, k);
  run.throwIfFailed('key share');
}

// ---- conversion to and from noble's packages ------------------------------------------------

export function toFrostPublic(pub: PublicKeyPackage): FrostPublic {
  return {
    signers: { min: pub.minSigners, max: pub.maxSigners },
    commitments: pub.commitments.map((c) => Uint8Array.from(Buffer.from(c, 'hex'))),
    verifyingShares: Object.fromEntries(Object.entries(pub.verifyingShares).map(([k, v]) => [k, Uint8Array.from(Buffer.from(v, 'hex'))])),
  } as FrostPublic;
}

/** A noble secret package viewing the share bytes (not a copy): do not let it outlive the call. */
export function toFrostSecret(secret: SecretKeyPackage): FrostSecret {
  return { identifier: secret.identifier, signingShare: secret.signingShare.expose() } as FrostSecret;
}

/** A PublicKeyPackage from noble's FrostPublic (e.g. trustedDealer or DKG.round3 output). Not validated. */
export function publicKeyPackageFromFrost(scheme: SchemeName, pub: FrostPublic): PublicKeyPackage {
  const s = getScheme(scheme);
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
export function secretKeyPackageFromFrost(secret: FrostSecret): SecretKeyPackage {
  return { identifier: secret.identifier, signingShare: new Secret(Uint8Array.from(secret.signingShare)) };
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

// ---- storage encoding -------------------------------------------------------------------------

/** Type tag of the stored public key package document. */
export const PUBLIC_KEY_PACKAGE_TYPE = 'wr.public-key-package';
export const PUBLIC_KEY_PACKAGE_VERSION = 1;

const PUBLIC_FIELDS = {
  version: 'integer',
  type: 'string',
  scheme: 'string',
  minSigners: 'integer',
  maxSigners: 'integer',
  groupPublicKey: 'string',
  commitments: 'string[]',
  verifyingShares: 'string-map',
} as const;

/**
 * Canonical JSON of a public package, for storage:
 * `{"commitments":[…],"groupPublicKey":…,"maxSigners":…,"minSigners":…,"scheme":…,"type":"wr.public-key-package","verifyingShares":{…},"version":1}`.
 * Validates the package first (SHARE_INVALID if it fails a check).
 */
export function encodePublicKeyPackage(pub: PublicKeyPackage): string {
  validatePublicKeyPackageCached(pub);
  return canonicalJson({ version: PUBLIC_KEY_PACKAGE_VERSION, type: PUBLIC_KEY_PACKAGE_TYPE, ...copyPublicKeyPackage(pub) });
}

/** The public key package fields of a parsed document (the stored package, or an envelope, where the scheme is its ciphersuite). */
export function publicKeyPackageOf(doc: Record<string, unknown>, scheme: unknown): PublicKeyPackage {
  return {
    scheme: scheme as SchemeName,
    minSigners: doc['minSigners'] as number,
    maxSigners: doc['maxSigners'] as number,
    groupPublicKey: doc['groupPublicKey'] as string,
    commitments: [...(doc['commitments'] as string[])],
    verifyingShares: { ...(doc['verifyingShares'] as Record<string, string>) },
  };
}

/**
 * Parses what {@link encodePublicKeyPackage} wrote, strictly: canonical form, exact
 * fields, then every package check. UNSUPPORTED_VERSION for another format
 * version, SHARE_INVALID (naming the check) for anything else.
 */
export function decodePublicKeyPackage(json: string): PublicKeyPackage {
  if (typeof json !== 'string') throw invalidArgument('json', 'must be a string');
  const run = new CheckRun(true);
  const doc = parseDocument(run, json, { type: PUBLIC_KEY_PACKAGE_TYPE, version: PUBLIC_KEY_PACKAGE_VERSION, fields: PUBLIC_FIELDS });
  run.throwIfFailed('public key package');
  const pub = publicKeyPackageOf(doc!, doc!['scheme']);
  validatePublicKeyPackageCached(pub);
  return pub;
}
