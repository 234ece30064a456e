/**
 * Threshold signing (RFC 9591 §5) with any minSigners-or-more shares of a key.
 *
 *   signRound1  §5.1 commit(): fresh hiding and binding nonces; the commitments
 *               are public, the nonces are a one-use SecretNonces that never
 *               leaves the signer's memory.
 *   signRound2  §5.2 sign(): consumes the nonces (zeroed even if signing fails);
 *               a second use throws.
 *   aggregate   §5.3 aggregate() after checking every share (§5.4 verify_signature_share);
 *               a bad share names its signer.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { inspect } from 'node:util';

import type { NonceCommitments } from '@noble/curves/abstract/frost.js';

import { Secret, WrError, invalidArgument, toHex, hexBytes } from '@wr/common';

import { ShareInvalidError } from '../errors.js';
import { aggregateEd25519, commitEd25519, isValidElement, signShareEd25519 } from './ed25519-sodium.js';
import { parseIdentifier, parsePoint, parseScalar } from './group.js';
import { copyPublicKeyPackage, toFrostPublic, type PublicKeyPackage, type SecretKeyPackage } from './key-package.js';
import { getSchemeSuite, onSodium, useSodiumForEd25519, type SchemeSuite, type SchemeName } from './schemes.js';
import { validatePublicKeyPackageCached } from './validation-cache.js';

/** A signer's public round-one output (RFC 9591 §5.1): its nonce commitments, hex. */
export interface SigningCommitments {
  identifier: string;
  hiding: string;
  binding: string;
}

interface NonceInternals {
  scheme: SchemeName;
  identifier: string;
  hiding: Uint8Array;
  binding: Uint8Array;
  commitments: SigningCommitments;
}

const nonceStore = new WeakMap<SecretNonces, NonceInternals>();

/**
 * The secret nonces of one signing attempt (RFC 9591 §5.1). One use only: never
 * stored, never sent; signRound2 consumes them. Prints as `<redacted>`, refuses JSON.
 */
export class SecretNonces {
  readonly scheme: SchemeName;
  readonly identifier: string;

  /** @internal */
  constructor(inner: NonceInternals) {
    this.scheme = inner.scheme;
    this.identifier = inner.identifier;
    nonceStore.set(this, inner);
  }

  /** True once used by signRound2 or destroyed. */
  get used(): boolean {
    return !nonceStore.has(this);
  }

  /** Zeroes the nonces without signing (an abandoned attempt). */
  destroy(): void {
    const inner = nonceStore.get(this);
    if (!inner) return;
    inner.hiding.fill(0);
    inner.binding.fill(0);
    nonceStore.delete(this);
  }

  toString(): string {
    return '<redacted>';
  }

  toJSON(): never {
    throw new TypeError('SecretNonces cannot be serialized to JSON');
  }

  [inspect.custom](): string {
    return `SecretNonces(${this.identifier}, ${this.used ? 'used' : '<redacted>'})`;
  }
}

function checkSecretShape(scheme: SchemeSuite, secret: SecretKeyPackage): void {
  if (typeof secret !== 'object' || secret === null) throw invalidArgument('secret', 'must be a SecretKeyPackage');
  if (parseIdentifier(scheme.group, secret.identifier) === undefined)
    throw invalidArgument('secret', 'identifier is not a canonical identifier of this scheme');
  if (!(secret.signingShare instanceof Secret) || secret.signingShare.destroyed) throw invalidArgument('secret', 'signingShare must be a live Secret');
  const b = secret.signingShare.expose();
  if (!(b instanceof Uint8Array) || parseScalar(scheme.group, b) === undefined)
    throw invalidArgument('secret', `signingShare must be a canonical ${scheme.scalarLength}-byte scalar`);
}

/** §5.1 commit() on libsodium (frost-ed25519) or noble; `rng` is nonce_generate's random_bytes. */
function commit(s: SchemeSuite, secret: SecretKeyPackage, rng: (len?: number) => Uint8Array<ArrayBuffer>) {
  const share = secret.signingShare.expose();
  return onSodium(s) ? commitEd25519(share, rng) : s.frost.commit({ identifier: secret.identifier, signingShare: share }, rng);
}

/** RFC 9591 §5.1 commit(). */
export function signRound1(scheme: SchemeName, secret: SecretKeyPackage): { nonces: SecretNonces; commitments: SigningCommitments } {
  const s = getSchemeSuite(scheme);
  checkSecretShape(s, secret);
  const { nonces, commitments } = commit(s, secret, randomBytes);
  const pub: SigningCommitments = { identifier: secret.identifier, hiding: toHex(commitments.hiding), binding: toHex(commitments.binding) };
  return {
    nonces: new SecretNonces({ scheme: s.name, identifier: secret.identifier, hiding: nonces.hiding, binding: nonces.binding, commitments: pub }),
    commitments: { ...pub },
  };
}

/**
 * signRound1 with caller-given nonce randomness (RFC 9591 §4.1 nonce_generate's
 * random_bytes), so the RFC 9591 Appendix E vectors run through this module.
 * NOT exported from the package: production nonces come only from signRound1.
 */
export function signRound1FromRandomness(
  scheme: SchemeName,
  secret: SecretKeyPackage,
  hidingRandomness: Uint8Array,
  bindingRandomness: Uint8Array,
): { nonces: SecretNonces; commitments: SigningCommitments } {
  const s = getSchemeSuite(scheme);
  checkSecretShape(s, secret);
  const queue = [hidingRandomness, bindingRandomness];
  const rng = (len?: number) => {
    const next = queue.shift();
    if (!next || next.length !== len) throw new Error('unexpected randomness request');
    return Uint8Array.from(next);
  };
  const { nonces, commitments } = commit(s, secret, rng);
  const pub: SigningCommitments = { identifier: secret.identifier, hiding: toHex(commitments.hiding), binding: toHex(commitments.binding) };
  return {
    nonces: new SecretNonces({ scheme: s.name, identifier: secret.identifier, hiding: nonces.hiding, binding: nonces.binding, commitments: pub }),
    commitments: { ...pub },
  };
}

/** Test access to the nonce scalars of unused SecretNonces (vector checks). Not exported from the package. */
export function exposeNoncesForTest(nonces: SecretNonces): { hiding: string; binding: string } | undefined {
  const inner = nonceStore.get(nonces);
  return inner && { hiding: toHex(inner.hiding), binding: toHex(inner.binding) };
}

/**
 * Checks a commitment list at the boundary (shape, encodings, participants,
 * count) and converts it for noble. Elements are decoded and checked (§3.1
 * DeserializeElement) inside noble's signShare/aggregate; `badElements` names the
 * culprits when one of those calls fails.
 */
function commitmentList(scheme: SchemeSuite, pub: PublicKeyPackage, commitments: SigningCommitments[]): NonceCommitments[] {
  if (!Array.isArray(commitments)) throw invalidArgument('commitments', 'must be an array');
  if (commitments.length < pub.minSigners || commitments.length > pub.maxSigners)
    throw invalidArgument('commitments', `must hold between minSigners (${pub.minSigners}) and maxSigners (${pub.maxSigners}) signers`);
  const seen = new Set<string>();
  return commitments.map((c, i) => {
    if (typeof c !== 'object' || c === null) throw invalidArgument('commitments', `[${i}] must be an object`);
    if (typeof c.identifier !== 'string' || !Object.prototype.hasOwnProperty.call(pub.verifyingShares, c.identifier))
      throw invalidArgument('commitments', `[${i}].identifier is not a participant of this key`);
    if (seen.has(c.identifier)) throw invalidArgument('commitments', `identifier ${c.identifier} appears twice`);
    seen.add(c.identifier);
    const point = (v: unknown, name: string) => {
      const bytes = hexBytes(v, scheme.elementLength);
      if (!bytes) throw invalidArgument('commitments', `[${i}].${name} must be ${scheme.elementLength * 2} lowercase hex digits`);
      return bytes;
    };
    return { identifier: c.identifier, hiding: point(c.hiding, 'hiding'), binding: point(c.binding, 'binding') } as NonceCommitments;
  });
}

/** Test access (schemes.ts): run frost-ed25519 on noble (false) or libsodium (true). Not exported from the package. */
export { useSodiumForEd25519 };

function validElement(scheme: SchemeSuite, bytes: Uint8Array): boolean {
  return onSodium(scheme) ? isValidElement(bytes) : parsePoint(scheme.group, bytes) !== undefined;
}

function badElements(scheme: SchemeSuite, list: NonceCommitments[]): WrError | undefined {
  const bad = list.filter((c) => !validElement(scheme, c.hiding) || !validElement(scheme, c.binding)).map((c) => c.identifier);
  return bad.length ? invalidArgument('commitments', `the commitment(s) of ${bad.join(', ')} are not valid group elements`) : undefined;
}

function checkPublic(scheme: SchemeSuite, pub: PublicKeyPackage): PublicKeyPackage {
  if (typeof pub !== 'object' || pub === null || pub.scheme !== scheme.name)
    throw invalidArgument('pub', `must be a public key package of scheme ${scheme.name}`);
  const copy = copyPublicKeyPackage(pub);
  validatePublicKeyPackageCached(copy);
  return copy;
}

/**
 * RFC 9591 §5.2 sign(): this signer's share (hex) of the signature on `message`.
 * Consumes `nonces` whatever happens. Checks that this signer's commitment is in
 * the list and is the one its nonces made, that identifiers are distinct
 * participants, and that minSigners to maxSigners signers take part. The share is
 * trusted to belong to `pub` (validateKeyPackage ran when it was made or imported);
 * a wrong one yields a share that aggregation blames on this signer.
 */
export function signRound2(
  scheme: SchemeName,
  secret: SecretKeyPackage,
  pub: PublicKeyPackage,
  nonces: SecretNonces,
  commitments: SigningCommitments[],
  message: Uint8Array,
): string {
  const inner = nonces instanceof SecretNonces ? nonceStore.get(nonces) : undefined;
  if (!inner)
    throw invalidArgument(
      'nonces',
      nonces instanceof SecretNonces ? 'these nonces were already used: run signRound1 again' : 'must be SecretNonces from signRound1',
    );
  nonceStore.delete(nonces); // consumed from here on, success or not
  const n = { hiding: inner.hiding, binding: inner.binding };
  try {
    const s = getSchemeSuite(scheme);
    if (inner.scheme !== s.name) throw invalidArgument('nonces', `were made for ${inner.scheme}`);
    checkSecretShape(s, secret);
    if (inner.identifier !== secret.identifier) throw invalidArgument('nonces', 'were made for another participant');
    const p = checkPublic(s, pub);
    if (!(message instanceof Uint8Array)) throw invalidArgument('message', 'must be bytes');
    const list = commitmentList(s, p, commitments);
    const mine = commitments.find((c) => c.identifier === secret.identifier);
    if (!mine) throw invalidArgument('commitments', "must include this signer's commitment");
    if (mine.hiding !== inner.commitments.hiding || mine.binding !== inner.commitments.binding)
      throw invalidArgument('commitments', "this signer's entry is not the commitment its nonces made");
    let sig: Uint8Array;
    try {
      const share = { identifier: secret.identifier, signingShare: secret.signingShare.expose() };
      sig = onSodium(s)
        ? signShareEd25519(share.identifier, share.signingShare, hexBytes(p.commitments[0], s.elementLength)!, n, list, message)
        : s.frost.signShare(share, toFrostPublic(p), n, list, message);
    } catch {
      throw badElements(s, list) ?? invalidArgument('commitments', 'the signing session was rejected by RFC 9591 checks');
    }
    return toHex(sig);
  } finally {
    n.hiding.fill(0);
    n.binding.fill(0);
  }
}

function culpritError(culprits: string[]): ShareInvalidError {
  return new ShareInvalidError('signature-share', `invalid signature share(s) from ${culprits.join(', ')}: exclude these signers and sign again`, culprits);
}

/**
 * RFC 9591 §5.3 aggregate(), with §5.4 verify_signature_share on every share when
 * the aggregate does not verify. A bad share throws ShareInvalidError (SHARE_INVALID, check
 * "signature-share") whose `culprits` and message name the signers to blame.
 * The result verifies under the scheme's standard verifier (Scheme.verify).
 */
export function aggregateSignature(
  scheme: SchemeName,
  pub: PublicKeyPackage,
  commitments: SigningCommitments[],
  message: Uint8Array,
  shares: Record<string, string>,
): Uint8Array {
  const s = getSchemeSuite(scheme);
  const p = checkPublic(s, pub);
  if (!(message instanceof Uint8Array)) throw invalidArgument('message', 'must be bytes');
  const list = commitmentList(s, p, commitments);
  if (typeof shares !== 'object' || shares === null) throw invalidArgument('shares', 'must be an object of identifier → hex share');
  const ids = list.map((c) => c.identifier);
  const extra = Object.keys(shares).filter((k) => !ids.includes(k));
  if (extra.length) throw invalidArgument('shares', `${extra.length} share(s) from signers without a commitment`);
  const missing = ids.filter((id) => !Object.prototype.hasOwnProperty.call(shares, id));
  if (missing.length) throw invalidArgument('shares', `missing share(s) from ${missing.join(', ')}`);
  const decoded: Record<string, Uint8Array> = {};
  const malformed: string[] = [];
  for (const id of ids) {
    const v = shares[id];
    const b = hexBytes(v, s.scalarLength);
    if (b && parseScalar(s.group, b) !== undefined) decoded[id] = b;
    else malformed.push(id);
  }
  if (malformed.length) throw culpritError(malformed);
  // RFC 9591 §5.3/§5.4: aggregate, verify the result under the group key, and only
  // when it fails run verify_signature_share on each share to find the culprits
  // (noble's aggregate() does exactly this and reports them as `cheaters`).
  let sig: Uint8Array;
  if (onSodium(s)) {
    // The same steps on libsodium; the final check there is node:crypto's RFC 8032 verify, which on
    // these prime-order elements accepts exactly what noble's check and Scheme.verify accept.
    sig = aggregateOnSodium(s, p, list, message, decoded);
    return Uint8Array.from(sig);
  }
  try {
    sig = s.frost.aggregate(toFrostPublic(p), list, message, decoded);
  } catch (err) {
    const cheaters = (err as { cheaters?: unknown }).cheaters;
    if (Array.isArray(cheaters) && cheaters.length) throw culpritError(cheaters.map(String));
    const bad = badElements(s, list);
    if (bad) throw bad;
    throw new ShareInvalidError('signature', 'the signature shares do not aggregate into a valid signature');
  }
  if (!s.verify(sig, message, Uint8Array.from(Buffer.from(p.groupPublicKey, 'hex'))))
    throw new ShareInvalidError('signature', 'the aggregated signature does not verify under the group key');
  return Uint8Array.from(sig);
}

function aggregateOnSodium(
  s: SchemeSuite,
  p: PublicKeyPackage,
  list: NonceCommitments[],
  message: Uint8Array,
  decoded: Record<string, Uint8Array>,
): Uint8Array {
  let result: ReturnType<typeof aggregateEd25519>;
  try {
    const verifyingShares = Object.fromEntries(Object.entries(p.verifyingShares).map(([k, v]) => [k, hexBytes(v, s.elementLength)!]));
    result = aggregateEd25519(hexBytes(p.commitments[0], s.elementLength)!, verifyingShares, list, message, decoded);
  } catch {
    throw badElements(s, list) ?? new ShareInvalidError('signature', 'the signature shares do not aggregate into a valid signature');
  }
  if ('signature' in result) return result.signature;
  if (result.culprits.length) throw culpritError(result.culprits);
  throw new ShareInvalidError('signature', 'the signature shares do not aggregate into a valid signature');
}
