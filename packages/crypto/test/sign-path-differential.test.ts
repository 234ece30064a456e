// Differential property test (issue 15): frost-ed25519 signing on libsodium
// (src/frost/ed25519-sodium.ts) against noble's ed25519_FROST, the reference, through the
// same public functions (signRound1, signRound2, aggregateSignature). For random keys, signer
// sets, messages and nonces both must give the same nonces, commitments, signature shares and aggregate, and the same
// error (code, check, culprits, message) for a commitment that is a small-order point, a
// mixed-order point, a non-canonical encoding, an off-curve point or random bytes, and for a
// wrong signature share.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';

import fc from 'fast-check';
import sodium from 'libsodium-wrappers-sumo';
import { ed25519_FROST } from '@noble/curves/ed25519.js';

import { toHex } from '@wr/common';

import { aggregateSignature, getScheme, signRound2, type SigningCommitments } from '../src/index.js';
import { publicKeyPackageFromFrost, secretKeyPackageFromFrost } from '../src/frost/key-package.js';
import { exposeNoncesForTest, signRound1FromRandomness, useSodiumForEd25519 } from '../src/frost/signing.js';
import { isValidElement } from '../src/frost/ed25519-sodium.js';
import { OFF_CURVE, Point, L, SMALL_ORDER, T8, badElement, describeOutcome, nobleValid, nonCanonical, seededRng } from './ed25519-edge-cases.js';
import { hex } from './helpers.js';

const SCHEME = 'frost-ed25519';

type Tamper =
  | { kind: 'none' }
  | {
      kind: 'element';
      who: number;
      field: 'hiding' | 'binding';
      value: 'small-order' | 'mixed-order' | 'non-canonical' | 'off-curve' | 'random';
      pick: number;
      bytes: Uint8Array;
    }
  | { kind: 'share'; who: number; scalar: bigint };

const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({
    kind: fc.constant('element' as const),
    who: fc.nat(),
    field: fc.constantFrom('hiding' as const, 'binding' as const),
    value: fc.constantFrom('small-order' as const, 'mixed-order' as const, 'non-canonical' as const, 'off-curve' as const, 'random' as const),
    pick: fc.nat(),
    bytes: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  }),
  fc.record({ kind: fc.constant('share' as const), who: fc.nat(), scalar: fc.bigInt({ min: 0n, max: L - 1n }) }),
);

function badElementFor(t: Extract<Tamper, { kind: 'element' }>, honest: string): string {
  return badElement(t.value, t.pick, honest, t.bytes);
}

describe('frost-ed25519 signing: libsodium path against noble (differential, fast-check)', () => {
  after(() => useSodiumForEd25519(true));

  it('the element checks are DeserializeElement: same verdict as noble on the edge cases and random bytes', () => {
    const noble = nobleValid;
    const honest = toHex(Point.BASE.multiply(12345n).toBytes());
    const cases = [
      honest,
      toHex(Point.fromBytes(hex(honest), false).add(T8).toBytes()),
      ...SMALL_ORDER,
      ...OFF_CURVE,
      ...Array.from({ length: 38 }, (_, i) => nonCanonical(i >> 1, i % 2 === 1)),
    ];
    // The binding commitment is checked by crypto_scalarmult_ed25519_noclamp itself: it must refuse exactly these.
    const mulRefuses = (b: Uint8Array) => {
      try {
        sodium.crypto_scalarmult_ed25519_noclamp(Point.Fn.toBytes(7n), b);
        return false;
      } catch {
        return true;
      }
    };
    for (const h of cases) {
      assert.equal(isValidElement(hex(h)), noble(h), h);
      assert.equal(mulRefuses(hex(h)), !noble(h), h);
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (b) => isValidElement(b) === noble(toHex(b)) && mulRefuses(b) === !noble(toHex(b))),
      { numRuns: 200 },
    );
  });

  it('same nonces and commitments, same shares, same aggregate, same errors and culprits, for random keys, signers, messages and tampering', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.constantFrom([2, 2], [2, 3], [3, 3]),
        fc.uint8Array({ maxLength: 80 }),
        fc.nat(),
        tamper,
        (seed, [min, max], message, subset, t) => {
          const rng = seededRng(seed);
          const deal = ed25519_FROST.trustedDealer({ min: min!, max: max! }, undefined, undefined, rng);
          const pub = publicKeyPackageFromFrost(SCHEME, deal.public);
          const all = Object.values(deal.secretShares).map((x) => secretKeyPackageFromFrost(x));
          // A signer set of min..max: drop one holder when there is room.
          const signers = all.length > min! && subset % 2 === 1 ? all.filter((_, i) => i !== subset % all.length) : all;
          const randomness = signers.map(() => [rng(32), rng(32)] as const);
          const round1 = () => signers.map((s, i) => signRound1FromRandomness(SCHEME, s, randomness[i]![0], randomness[i]![1]));
          const honest = round1().map((r) => r.commitments);
          const tampered: SigningCommitments[] = honest.map((c) => ({ ...c }));
          if (t.kind === 'element') {
            const target = tampered[t.who % tampered.length]!;
            target[t.field] = badElementFor(t, target[t.field]);
          }

          const run = (sodium: boolean) => {
            useSodiumForEd25519(sodium);
            // Round 2 with the (possibly) tampered list: every signer's outcome.
            const r1 = round1();
            const commit = r1.map((r) => ({ commitments: r.commitments, nonces: exposeNoncesForTest(r.nonces) }));
            const round2 = signers.map((s, i) => describeOutcome(() => signRound2(SCHEME, s, pub, r1[i]!.nonces, tampered, message)));
            // Honest shares, then aggregation with the tampered list or a wrong share.
            const r1b = round1();
            const shares: Record<string, string> = {};
            signers.forEach((s, i) => (shares[s.identifier] = signRound2(SCHEME, s, pub, r1b[i]!.nonces, honest, message)));
            if (t.kind === 'share') shares[signers[t.who % signers.length]!.identifier] = toHex(Point.Fn.toBytes(t.scalar));
            const aggregate = describeOutcome(() => aggregateSignature(SCHEME, pub, tampered, message, shares));
            return { commit, round2, shares, aggregate };
          };
          const ours = run(true);
          const reference = run(false);
          assert.deepEqual(ours, reference);
          const sig = (ours.aggregate as { ok?: string }).ok;
          if (t.kind === 'none') {
            assert.ok(sig, 'an honest session aggregates');
            assert.ok(getScheme(SCHEME).verify(hex(sig), message, hex(pub.groupPublicKey)));
          }
        },
      ),
      { numRuns: 24 },
    );
  });
});
