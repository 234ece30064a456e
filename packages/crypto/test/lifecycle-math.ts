/** Test-only algebra: does a set of shares interpolate the group secret (secret × G = commitments[0])? */
import { baseMultiply, parsePoint } from '../src/frost/group.js';
import { lagrangeCoefficient } from '../src/frost/polynomial.js';
import { getSchemeSuite } from '../src/frost/schemes.js';
import type { Held } from './lifecycle-helpers.js';

export function interpolatesGroupSecret(shares: Held[]): boolean {
  const scheme = getSchemeSuite(shares[0]!.public.scheme);
  const Fn = scheme.frost.utils.Fn;
  const xs = shares.map((s) => Fn.fromBytes(Buffer.from(s.secret.identifier, 'hex')));
  let secret = Fn.ZERO;
  shares.forEach((s, i) => {
    secret = Fn.add(secret, Fn.mul(Fn.fromBytes(s.secret.signingShare.expose()), lagrangeCoefficient(scheme, xs, xs[i]!, 0n)));
  });
  const group = parsePoint(scheme.group, Buffer.from(shares[0]!.public.commitments[0]!, 'hex'))!;
  return secret !== 0n && baseMultiply(scheme.group, secret).equals(group);
}
