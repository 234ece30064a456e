/**
 * The named checks on a key package (names are stable; reports and errors use them):
 *   scheme           — a known scheme name
 *   threshold        — integers with 2 ≤ minSigners ≤ maxSigners ≤ 255
 *   encoding         — every hex field is lowercase with the suite's length; points
 *                      decode to valid non-identity prime-order elements; identifiers
 *                      and the signing share are canonical scalars (identifiers ≠ 0)
 *   commitments      — exactly minSigners commitments; commitments[0] is the group key
 *   verifying-shares — exactly maxSigners distinct identifiers
 *   vss              — each verifying share equals the commitment polynomial evaluated
 *                      at its identifier (RFC 9591 Appendix C.2; checked all at once where
 *                      that saves work, then one by one to name the culprits: group.ts vssCulprits)
 *   identifier       — the secret's identifier has a verifying share
 *   signing-share    — signingShare × G equals that verifying share
 *
 * `check…` reports every check; `validate…` throws the first failure. Envelopes
 * run the same steps (parseKeyParts, checkKeyAlgebra) after their own checks.
 */
import { Secret, toHex, hexBytes } from '@wr/common';

import type { CheckResult } from '../errors.js';
import { CheckRun } from '../internal/check-run.js';
import { baseMultiply, parseIdentifier, parsePoint, parseScalar, vssCulprits, type GroupElement } from './group.js';
import { MAX_SIGNERS, type PublicKeyPackage, type SecretKeyPackage } from './key-package.js';
import { getSchemeSuite, isSchemeName, SCHEME_NAMES, type SchemeName } from './schemes.js';

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
  if (!opts?.schemeChecked && !run.run('scheme', () => (isSchemeName(pub.scheme) ? undefined : `unknown scheme; expected one of ${SCHEME_NAMES.join(', ')}`)))
    return undefined;
  if (!isSchemeName(pub.scheme)) return undefined;
  const scheme = getSchemeSuite(pub.scheme);
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
    if (typeof pub.verifyingShares !== 'object' || pub.verifyingShares === null || Array.isArray(pub.verifyingShares))
      return 'verifyingShares must be an object';
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
  const scheme = getSchemeSuite(k.scheme);
  const commitmentsOk = run.run('commitments', () => {
    if (k.commitments.length !== k.minSigners) return `expected ${k.minSigners} commitments (minSigners), found ${k.commitments.length}`;
    const form = scheme.publicKeyForVerifier(k.commitmentBytes[0]!);
    if (toHex(form) !== toHex(k.groupPublicKey)) return 'commitments[0] is not the group public key';
    return undefined;
  });
  run.run('verifying-shares', () =>
    k.verifying.size === k.maxSigners ? undefined : `expected ${k.maxSigners} verifying shares (maxSigners), found ${k.verifying.size}`,
  );
  if (commitmentsOk)
    run.run('vss', () => {
      const bad = vssCulprits(scheme.group, k.commitments, k.verifying);
      return bad.length ? `verifying share(s) of ${bad.join(', ')} do not match the commitments` : undefined;
    });
  if (k.secret) {
    const s = k.secret;
    const ok = run.run('identifier', () => (k.verifying.has(s.identifier) ? undefined : `identifier ${s.identifier} has no verifying share`));
    if (ok)
      run.run('signing-share', () =>
        baseMultiply(scheme.group, s.share).equals(k.verifying.get(s.identifier)!.point)
          ? undefined
          : `signingShare does not match the verifying share of ${s.identifier}`,
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

/** Throws SHARE_INVALID (ShareInvalidError naming the check) unless the share belongs to the package. */
export function validateKeyPackage(pub: PublicKeyPackage, secret: SecretKeyPackage): void {
  const run = new CheckRun(true);
  const k = parseKeyParts(run, pub, secret);
  if (k) checkKeyAlgebra(run, k);
  run.throwIfFailed('key share');
}
