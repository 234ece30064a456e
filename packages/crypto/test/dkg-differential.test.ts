// Differential property test (issue 15): frost-ed25519's group (src/frost/ed25519-sodium.ts),
// key-package checks and DKG (src/frost/dkg-pedersen.ts) on libsodium against noble, the
// reference (its points, and its ed25519_FROST DKG rounds), through the same functions. For
// random inputs both must give the same bytes; for adversarial ones (small-order, mixed-order,
// non-canonical, off-curve and random encodings, valid but wrong elements, wrong shares and
// proofs) the same verdict, the same report and the same error (code, check, culprits, message).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';

import fc from 'fast-check';
import { ed25519_FROST } from '@noble/curves/ed25519.js';

import { Secret, signRaw, toHex } from '@wr/common';
import { unwrap, wrap } from '@wr/age';

import {
  checkKeyPackage,
  dkgRound2,
  dkgRound3,
  validateKeyPackage,
  validatePublicKeyPackage,
  type DkgRound1Message,
  type DkgRound2Message,
} from '../src/index.js';
import { decodeRound2Payload, encodeRound2Payload, round1SigningBytes, round2SigningBytes } from '../src/frost/dkg-messages.js';
import { dkgRound1FromRng } from '../src/frost/dkg.js';
import { ED25519_SODIUM_GROUP } from '../src/frost/ed25519-sodium.js';
import { ED25519_NOBLE_GROUP, evaluateCommitment, type Group } from '../src/frost/group.js';
import { publicKeyPackageFromFrost, secretKeyPackageFromFrost, type PublicKeyPackage } from '../src/frost/key-package.js';
import { useSodiumForEd25519 } from '../src/frost/schemes.js';
import {
  BAD_ELEMENT_KINDS,
  L,
  OFF_CURVE,
  Point,
  SMALL_ORDER,
  badElement,
  describeOutcome,
  describeOutcomeAsync,
  nobleValid,
  nonCanonical,
  seededRng,
  type BadElementKind,
} from './ed25519-edge-cases.js';
import { hex, makeNodes } from './helpers.js';

const SCHEME = 'frost-ed25519';

/** A bad element, or (`other-valid`) a valid element that is not the honest one. */
type Replacement = { value: BadElementKind | 'other-valid'; pick: number; bytes: Uint8Array };
const replacement: fc.Arbitrary<Replacement> = fc.record({
  value: fc.constantFrom<BadElementKind | 'other-valid'>(...BAD_ELEMENT_KINDS, 'other-valid'),
  pick: fc.nat(),
  bytes: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});
function replace(r: Replacement, honest: string): string {
  return r.value === 'other-valid' ? toHex(Point.BASE.multiply(BigInt(r.pick) + 2n).toBytes()) : badElement(r.value, r.pick, honest, r.bytes);
}

// Edge values, small ones (identifiers; libsodium's multiplyUnsafe adds for those) and any.
const scalar = fc.oneof(fc.constantFrom(0n, 1n, 2n, 31n, 32n, L - 1n), fc.bigInt({ min: 0n, max: 40n }), fc.bigInt({ min: 0n, max: L - 1n }));

describe('frost-ed25519 group, key checks and DKG: libsodium against noble (differential, fast-check)', () => {
  after(() => useSodiumForEd25519(true));

  it('the group: the same DeserializeElement verdicts, and the same bytes from every operation', () => {
    const honest = toHex(Point.BASE.multiply(12345n).toBytes());
    const cases = [
      honest,
      badElement('mixed-order', 0, honest, new Uint8Array(32)),
      ...SMALL_ORDER,
      ...OFF_CURVE,
      ...Array.from({ length: 38 }, (_, i) => nonCanonical(i >> 1, i % 2 === 1)),
    ];
    const verdict = (g: Group, h: string) => {
      const p = g.parse(hex(h));
      return p ? toHex(p.toBytes()) : undefined;
    };
    for (const h of cases) {
      assert.equal(verdict(ED25519_SODIUM_GROUP, h), nobleValid(h) ? h : undefined, h);
      assert.equal(verdict(ED25519_NOBLE_GROUP, h), nobleValid(h) ? h : undefined, h);
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (b) => verdict(ED25519_SODIUM_GROUP, toHex(b)) === verdict(ED25519_NOBLE_GROUP, toHex(b))),
      { numRuns: 300 },
    );

    const ops = (g: Group, a: bigint, b: bigint, c: bigint, id: bigint) => {
      const P = g.multiplyBase(a);
      const Q = g.multiplyBase(b);
      const R = P.add(Q);
      const minusP = P.multiplyUnsafe(L - 1n);
      const out = [P, Q, R, P.multiplyUnsafe(c), R.multiplyUnsafe(c), P.add(minusP), g.zero.add(Q), g.zero.multiplyUnsafe(c)];
      if (c !== 0n && !P.is0()) out.push(P.multiply(c));
      out.push(evaluateCommitment([P, Q, R], id), evaluateCommitment([R, minusP, Q], id));
      return {
        bytes: out.map((x) => toHex(x.toBytes())),
        is0: out.map((x) => x.is0()),
        equal: [P.equals(Q), R.equals(Q.add(P)), P.add(minusP).equals(g.zero)],
      };
    };
    fc.assert(
      fc.property(scalar, scalar, scalar, scalar, (a, b, c, id) => {
        assert.deepEqual(ops(ED25519_SODIUM_GROUP, a, b, c, id), ops(ED25519_NOBLE_GROUP, a, b, c, id));
      }),
      { numRuns: 40 },
    );
  });

  it('key checks: the same report from checkKeyPackage and the same errors from the validators, for random and tampered packages', () => {
    type Tamper =
      | { kind: 'none' }
      | { kind: 'verifying-share' | 'commitment'; who: number; r: Replacement }
      | { kind: 'signing-share'; scalar: bigint }
      | { kind: 'swap-shares'; who: number };
    const tamper: fc.Arbitrary<Tamper> = fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.record({ kind: fc.constantFrom('verifying-share' as const, 'commitment' as const), who: fc.nat(), r: replacement }),
      fc.record({ kind: fc.constant('signing-share' as const), scalar }),
      fc.record({ kind: fc.constant('swap-shares' as const), who: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.constantFrom([2, 2], [2, 3], [3, 3], [3, 5], [5, 8]),
        // Identifiers 1, 2, … (wr's), or derived ones (full-size scalars); the batch vss check runs for 5-of-8, and for
        // 3-of-3 and up with derived identifiers.
        fc.boolean(),
        tamper,
        (seed, [min, max], derived, t) => {
          const identifiers = derived ? Array.from({ length: max! }, (_, i) => ed25519_FROST.Identifier.derive(`participant ${i}`)) : undefined;
          const deal = ed25519_FROST.trustedDealer({ min: min!, max: max! }, identifiers, undefined, seededRng(seed));
          const pub: PublicKeyPackage = publicKeyPackageFromFrost(SCHEME, deal.public);
          const secrets = Object.values(deal.secretShares).map((x) => secretKeyPackageFromFrost(x));
          let secret = secrets[0]!;
          const ids = Object.keys(pub.verifyingShares);
          if (t.kind === 'verifying-share') {
            const id = ids[t.who % ids.length]!;
            pub.verifyingShares[id] = replace(t.r, pub.verifyingShares[id]!);
          } else if (t.kind === 'commitment') {
            const j = t.who % pub.commitments.length;
            pub.commitments[j] = replace(t.r, pub.commitments[j]!);
          } else if (t.kind === 'signing-share') {
            secret = { identifier: secret.identifier, signingShare: new Secret(Point.Fn.toBytes(t.scalar)) };
          } else if (t.kind === 'swap-shares') {
            const [a, b] = [ids[t.who % ids.length]!, ids[(t.who + 1) % ids.length]!];
            [pub.verifyingShares[a], pub.verifyingShares[b]] = [pub.verifyingShares[b]!, pub.verifyingShares[a]!];
          }
          const run = (sodium: boolean) => {
            useSodiumForEd25519(sodium);
            return {
              report: checkKeyPackage(pub, secret),
              validate: describeOutcome(() => validateKeyPackage(pub, secret)),
              validatePublic: describeOutcome(() => validatePublicKeyPackage(pub)),
            };
          };
          const ours = run(true);
          assert.deepEqual(ours, run(false));
          // Every tampering is caught (a valid but wrong element, a swapped pair of verifying shares too).
          assert.equal('code' in ours.validate, t.kind !== 'none', JSON.stringify(ours.validate));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('DKG: the same broadcasts and keys, and the same refusals (code, check, culprits) of tampered broadcasts, proofs and shares', async () => {
    const nodes = await makeNodes(SCHEME, 4);
    type Tamper =
      | { kind: 'none' }
      | { kind: 'commitment'; who: number; j: number; r: Replacement }
      | { kind: 'proof-R'; who: number; r: Replacement }
      | { kind: 'proof-mu'; who: number; bytes: Uint8Array }
      | { kind: 'share'; who: number; to: number; scalar: bigint };
    const tamper: fc.Arbitrary<Tamper> = fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.record({ kind: fc.constant('commitment' as const), who: fc.nat(), j: fc.nat(), r: replacement }),
      fc.record({ kind: fc.constant('proof-R' as const), who: fc.nat(), r: replacement }),
      fc.record({ kind: fc.constant('proof-mu' as const), who: fc.nat(), bytes: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
      fc.record({ kind: fc.constant('share' as const), who: fc.nat(), to: fc.nat(), scalar }),
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.constantFrom([2, 2], [2, 3], [3, 4]), tamper, async (seed, [min, max], t) => {
        const ns = nodes.slice(0, max!);
        const participants = ns.map((n) => n.participant);
        const sessionId = 'differential';
        const who = 'who' in t ? t.who % ns.length : 0;
        const run = async (sodium: boolean) => {
          useSodiumForEd25519(sodium);
          const r1 = ns.map((n, i) =>
            dkgRound1FromRng(
              { sessionId, scheme: SCHEME, minSigners: min!, participants, self: n.participant.identifier, signingKey: n.signingKey },
              seededRng(Uint8Array.from([...seed, i])),
            ),
          );
          const broadcast: DkgRound1Message[] = r1.map((r) => ({ ...r.message, commitment: [...r.message.commitment] }));
          if (t.kind === 'commitment' || t.kind === 'proof-R' || t.kind === 'proof-mu') {
            // The sender itself lies, and signs what it sends.
            const m = broadcast[who]!;
            if (t.kind === 'commitment') m.commitment[t.j % m.commitment.length] = replace(t.r, m.commitment[t.j % m.commitment.length]!);
            if (t.kind === 'proof-R') m.proofOfKnowledge = replace(t.r, m.proofOfKnowledge.slice(0, 64)) + m.proofOfKnowledge.slice(64);
            if (t.kind === 'proof-mu') m.proofOfKnowledge = m.proofOfKnowledge.slice(0, 64) + toHex(t.bytes);
            m.signature = toHex(signRaw(ns[who]!.signingKey, round1SigningBytes(sessionId, SCHEME, m.from, m.commitment.map(hex), hex(m.proofOfKnowledge))));
          }
          const sent: DkgRound2Message[] = [];
          const round2 = [];
          for (const r of r1) {
            round2.push(
              await describeOutcomeAsync(async () => {
                const out = await dkgRound2(r.state, broadcast);
                sent.push(...out);
                return out.map((m) => `${m.from}→${m.to}`);
              }),
            );
          }
          if (t.kind === 'share') {
            const [from, to] = [ns[who]!, ns[(who + 1 + (t.to % (ns.length - 1))) % ns.length]!];
            const i = sent.findIndex((m) => m.from === from.participant.identifier && m.to === to.participant.identifier);
            if (i >= 0) {
              const dec = decodeRound2Payload(await unwrap(sent[i]!.ciphertext, { identities: [to.ageIdentity] }))!;
              const body = { ...dec.body, signingShare: Point.Fn.toBytes(t.scalar) };
              sent[i] = {
                ...sent[i]!,
                ciphertext: await wrap(encodeRound2Payload(body, signRaw(from.signingKey, round2SigningBytes(body))), [to.participant.recipient]),
              };
            }
          }
          const round3 = [];
          for (const [i, r] of r1.entries()) {
            const me = ns[i]!.participant.identifier;
            round3.push(
              await describeOutcomeAsync(async () => {
                const k = await dkgRound3(
                  r.state,
                  sent.filter((m) => m.to === me),
                  ns[i]!.ageIdentity,
                );
                return { public: k.public, identifier: k.secret.identifier, share: toHex(k.secret.signingShare.expose()), transcriptHash: k.transcriptHash };
              }),
            );
          }
          return { broadcast, round2, round3 };
        };
        const ours = await run(true);
        assert.deepEqual(ours, await run(false));
        // Everyone finishes an honest session; a wrong share stops its receiver; a lying broadcaster stops everyone.
        const finished = ours.round3.filter((o) => 'ok' in o).length;
        assert.equal(finished, t.kind === 'none' ? ns.length : t.kind === 'share' ? ns.length - 1 : 0, JSON.stringify(ours));
        // Whoever refuses a lie in round 2 names the liar (round1-commitment or round1-proof); the liar sees its own broadcast changed.
        if (t.kind !== 'none' && t.kind !== 'share')
          ours.round2.forEach((o, i) => {
            if ('ok' in o) return;
            if (i === who) assert.equal(o.check, 'round1-own');
            else
              assert.deepEqual(
                [o.check === 'round1-commitment' || o.check === 'round1-proof', o.culprits],
                [true, [ns[who]!.participant.identifier]],
                JSON.stringify(o),
              );
          });
      }),
      { numRuns: 24 },
    );
  });
});
