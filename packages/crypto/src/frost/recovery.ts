/**
 * Offline disaster recovery: interpolate the group secret from minSigners or more
 * shares of one key (RFC 9591 Appendix C.1 secret_share_combine, via noble's
 * combineSecret) and PROVE the result by checking secret × G against the group
 * key before returning it.
 *
 * The result is the group signing scalar, not an RFC 8032 seed: it signs with
 * signWithGroupSecret. For the Taproot suite it is the (tweaked) scalar of the
 * Taproot output key.
 */
import { Secret, invalidArgument } from '@wr/common';

import { ShareInvalidError } from '../errors.js';
import { baseMultiply, parsePoint, parseScalar } from './group.js';
import { validateKeyPackage } from './key-checks.js';
import type { PublicKeyPackage, SecretKeyPackage } from './key-package.js';
import { getSchemeSuite, type SchemeName } from './schemes.js';

export function recoverGroupSecret(shares: { public: PublicKeyPackage; secret: SecretKeyPackage }[]): Secret<Uint8Array> {
  if (!Array.isArray(shares) || shares.length === 0) throw invalidArgument('shares', 'must be a non-empty array of key packages');
  const first = shares[0]!.public;
  if (typeof first !== 'object' || first === null) throw invalidArgument('shares', 'each entry needs a public key package');
  const scheme = getSchemeSuite(first.scheme);
  const seen = new Set<string>();
  for (const [i, s] of shares.entries()) {
    if (typeof s !== 'object' || s === null) throw invalidArgument('shares', `[${i}] must be { public, secret }`);
    validateKeyPackage(s.public, s.secret);
    const p = s.public;
    if (
      p.scheme !== first.scheme ||
      p.groupPublicKey !== first.groupPublicKey ||
      p.minSigners !== first.minSigners ||
      p.maxSigners !== first.maxSigners ||
      p.commitments.join() !== first.commitments.join()
    )
      throw new ShareInvalidError('same-key', `recovery: share [${i}] belongs to another key (its public key package differs from share [0])`);
    if (seen.has(s.secret.identifier)) throw new ShareInvalidError('distinct-identifiers', `recovery: identifier ${s.secret.identifier} is given twice`);
    seen.add(s.secret.identifier);
  }
  if (shares.length < first.minSigners)
    throw new ShareInvalidError('quorum', `recovery needs at least minSigners (${first.minSigners}) shares, got ${shares.length}`);
  const combined = scheme.frost.combineSecret(
    shares.map((s) => ({ identifier: s.secret.identifier, signingShare: s.secret.signingShare.expose() })),
    { min: first.minSigners, max: first.maxSigners },
  );
  const secret = new Secret(Uint8Array.from(combined));
  combined.fill(0);
  const scalar = parseScalar(scheme.group, secret.expose());
  const groupElement = parsePoint(scheme.group, Uint8Array.from(Buffer.from(first.commitments[0]!, 'hex')))!;
  if (scalar === undefined || !baseMultiply(scheme.group, scalar).equals(groupElement)) {
    secret.destroy();
    throw new ShareInvalidError('recovered-secret', 'recovery: the combined secret does not match the group public key');
  }
  return secret;
}

/**
 * A single-signer signature with a group secret from recoverGroupSecret (noble's
 * FROST `sign`): it verifies under the group key with the scheme's standard verifier.
 */
export function signWithGroupSecret(scheme: SchemeName, message: Uint8Array, groupSecret: Secret<Uint8Array>): Uint8Array {
  const s = getSchemeSuite(scheme);
  if (!(message instanceof Uint8Array)) throw invalidArgument('message', 'must be bytes');
  if (!(groupSecret instanceof Secret) || groupSecret.destroyed) throw invalidArgument('groupSecret', 'must be a live Secret from recoverGroupSecret');
  return s.frost.sign(message, groupSecret.expose());
}
