/** Resharing (reshareDeal / reshareFinish): new holders and threshold, same group key, epoch + 1; every dealing checked. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import fc from 'fast-check';

import { toHex, utf8 } from '@wr/common';

import {
  SCHEME_NAMES,
  ShareInvalidError,
  getScheme,
  identifierFor,
  reshareDeal,
  reshareFinish,
  validateKeyPackage,
  type LifecycleResult,
  type PublicKeyPackage,
  type ReshareCommitment,
  type ReshareSession,
  type ReshareSubShare,
  type SchemeName,
  type SecretKeyPackage,
} from '../src/index.js';
import { dealPolynomial, defaultRng, evaluatePolynomial, type Rng } from '../src/frost/polynomial.js';
import { scalarSecret } from '../src/frost/lifecycle-common.js';
import { reshareDealWithRng } from '../src/frost/reshare.js';
import { getSchemeSuite } from '../src/frost/schemes.js';
import { dealerKey, hex, rejectsWith, vectorDealerKey } from './helpers.js';
import { bumpScalar, digestOf, holdersOf, pickOrder, seededRng, signWith } from './lifecycle-helpers.js';
import { interpolatesGroupSecret } from './lifecycle-math.js';

interface ReshareTamper {
  commitments?: (c: ReshareCommitment[]) => ReshareCommitment[];
  subShares?: (s: ReshareSubShare[]) => ReshareSubShare[];
}

/** The dealers deal, the "network" relays, every new holder finishes. Results in `holders` order. */
function runReshare(
  pub: PublicKeyPackage,
  dealers: SecretKeyPackage[],
  epoch: number,
  minSigners: number,
  holders: string[],
  opts: { sessionId?: string; rng?: Rng; tamper?: ReshareTamper } = {},
): LifecycleResult[] {
  const session: ReshareSession = { sessionId: opts.sessionId ?? 'reshare-1', pub, epoch, dealers: dealers.map((d) => d.identifier), minSigners, holders };
  const dealt = dealers.map((secret) => reshareDealWithRng({ ...session, secret }, opts.rng ?? defaultRng));
  let commitments = dealt.map((d) => d.commitment);
  let subShares = dealt.flatMap((d) => d.subShares);
  if (opts.tamper?.commitments) commitments = opts.tamper.commitments(commitments);
  if (opts.tamper?.subShares) subShares = opts.tamper.subShares(subShares);
  return holders.map((self) =>
    reshareFinish(
      { ...session, self },
      [...commitments].reverse(),
      subShares.filter((m) => m.to === self),
    ),
  );
}

const ids = (scheme: SchemeName, ns: number[]) => ns.map((n) => identifierFor(scheme, n));
const msg = utf8('after reshare');

describe('reshare: a quorum of old holders deals Lagrange-weighted sub-shares to the new holders', () => {
  for (const scheme of SCHEME_NAMES) {
    it(`${scheme}: 2-of-3 on 1–3 becomes 3-of-3 on 2–4 with the same group key; the new set signs, old and new do not mix`, async () => {
      const key = dealerKey(scheme, 2, 3);
      const old = holdersOf(key);
      const out = runReshare(key.public, [key.secrets[0]!, key.secrets[2]!], 3, 3, ids(scheme, [2, 3, 4]));
      const pub = out[0]!.public;
      for (const r of out) {
        assert.deepEqual(r.public, pub);
        assert.equal(r.confirmation, out[0]!.confirmation);
        assert.equal(r.epoch, 4);
        validateKeyPackage(r.public, r.secret);
      }
      assert.equal(pub.groupPublicKey, key.public.groupPublicKey);
      assert.equal(pub.commitments[0], key.public.commitments[0]);
      assert.equal(pub.minSigners, 3);
      assert.equal(pub.maxSigners, 3);
      assert.deepEqual(Object.keys(pub.verifyingShares).sort(), ids(scheme, [2, 3, 4]).sort());
      assert.equal(getScheme(scheme).verify(signWith(scheme, out, msg), msg, hex(pub.groupPublicKey)), true);
      // Two new shares are below the new threshold.
      await rejectsWith(() => signWith(scheme, out.slice(0, 2), msg), 'INVALID_ARGUMENT');
      assert.equal(interpolatesGroupSecret(out.slice(0, 2)), false);
      // Identifier 2's old share with the new shares of 3 and 4: its signature share fails verification and is blamed.
      const err = (await rejectsWith(
        () => signWith(scheme, [{ public: pub, secret: old[1]!.secret }, out[1]!, out[2]!], msg),
        'SHARE_INVALID',
        'signature-share',
      )) as ShareInvalidError;
      assert.deepEqual(err.culprits, [old[1]!.secret.identifier]);
    });
  }

  it('to entirely new identifiers and a lower threshold: 3-of-5 becomes 2-of-4 on identifiers 10–13', () => {
    const scheme: SchemeName = 'frost-ed25519';
    const key = dealerKey(scheme, 3, 5);
    const out = runReshare(key.public, [key.secrets[4]!, key.secrets[1]!, key.secrets[3]!], 0, 2, ids(scheme, [10, 11, 12, 13]));
    assert.equal(out[0]!.public.groupPublicKey, key.public.groupPublicKey);
    assert.equal(out[0]!.public.minSigners, 2);
    assert.equal(getScheme(scheme).verify(signWith(scheme, [out[3]!, out[0]!], msg), msg, hex(key.public.groupPublicKey)), true);
  });

  it('more dealers than the threshold work too (every old holder deals)', () => {
    const key = dealerKey('frost-secp256k1-tr', 2, 4);
    const out = runReshare(key.public, key.secrets, 0, 2, ids('frost-secp256k1-tr', [1, 2, 3]));
    assert.equal(getScheme('frost-secp256k1-tr').verify(signWith('frost-secp256k1-tr', out.slice(1), msg), msg, hex(key.public.groupPublicKey)), true);
  });
});

describe('reshare: new holders check every dealing and name the culprit', () => {
  const scheme: SchemeName = 'frost-secp256k1';
  const setup = () => ({ key: dealerKey(scheme, 2, 3), holders: ids(scheme, [4, 5, 6]) });

  it('a dealer dealing another secret with consistent commitments is refused by the constant-term check (reshare-constant-term)', async () => {
    const { key, holders } = setup();
    const cheat = key.secrets[1]!;
    const s = getSchemeSuite(scheme);
    // The cheat deals its plain share s_i instead of λ_i · s_i: commitments and sub-shares agree with each other.
    const poly = dealPolynomial(s, 2, s.frost.utils.Fn.fromBytes(cheat.signingShare.expose()), defaultRng);
    const err = (await rejectsWith(
      () =>
        runReshare(key.public, [key.secrets[0]!, cheat], 0, 2, holders, {
          tamper: {
            commitments: (c) => c.map((m) => (m.from === cheat.identifier ? { ...m, commitments: poly.commitments.map(toHex) } : m)),
            subShares: (list) =>
              list.map((m) =>
                m.from === cheat.identifier
                  ? { ...m, subShare: scalarSecret(s, evaluatePolynomial(s, poly.coefficients, s.frost.utils.Fn.fromBytes(hex(m.to)))) }
                  : m,
              ),
          },
        }),
      'SHARE_INVALID',
      'reshare-constant-term',
    )) as ShareInvalidError;
    assert.deepEqual(err.culprits, [cheat.identifier]);
  });

  it('a wrong sub-share is refused (reshare-share), naming its dealer', async () => {
    const { key, holders } = setup();
    const cheat = key.secrets[2]!.identifier;
    const err = (await rejectsWith(
      () =>
        runReshare(key.public, [key.secrets[0]!, key.secrets[2]!], 0, 2, holders, {
          tamper: { subShares: (list) => list.map((m) => (m.from === cheat && m.to === holders[0] ? { ...m, subShare: bumpScalar(m.subShare, false) } : m)) },
        }),
      'SHARE_INVALID',
      'reshare-share',
    )) as ShareInvalidError;
    assert.deepEqual(err.culprits, [cheat]);
  });

  it('a wrong or malformed commitment list is refused, naming its dealer', async () => {
    const { key, holders } = setup();
    const [a, b] = [key.secrets[0]!, key.secrets[1]!];
    // Higher coefficients swapped for another valid point: the sub-shares no longer match.
    let err = (await rejectsWith(
      () =>
        runReshare(key.public, [a, b], 0, 2, holders, {
          tamper: { commitments: (c) => c.map((m) => (m.from === a.identifier ? { ...m, commitments: [m.commitments[0]!, m.commitments[0]!] } : m)) },
        }),
      'SHARE_INVALID',
      'reshare-share',
    )) as ShareInvalidError;
    assert.deepEqual(err.culprits, [a.identifier]);
    err = (await rejectsWith(
      () =>
        runReshare(key.public, [a, b], 0, 2, holders, {
          tamper: { commitments: (c) => c.map((m) => (m.from === b.identifier ? { ...m, commitments: [m.commitments[0]!] } : m)) },
        }),
      'SHARE_INVALID',
      'reshare-commitment',
    )) as ShareInvalidError;
    assert.deepEqual(err.culprits, [b.identifier]);
  });
});

describe('reshare: boundary checks', () => {
  const scheme: SchemeName = 'frost-ed25519';
  const key = dealerKey(scheme, 2, 3);
  const base = { sessionId: 's', pub: key.public, epoch: 0, dealers: ids(scheme, [1, 2]), minSigners: 2, holders: ids(scheme, [1, 2, 3]) };

  it('refuses bad dealers, holders, thresholds and selves with INVALID_ARGUMENT', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ dealers: ids(scheme, [1]) }, 'dealers'],
      [{ dealers: ids(scheme, [1, 1]) }, 'dealers'],
      [{ dealers: ids(scheme, [1, 7]) }, 'dealers'],
      [{ dealers: ids(scheme, [2, 3]) }, 'dealers'],
      [{ holders: ids(scheme, [1]) }, 'holders'],
      [{ holders: ids(scheme, [4, 4, 5]) }, 'holders'],
      [{ minSigners: 4 }, 'minSigners'],
      [{ minSigners: 1 }, 'minSigners'],
      [{ epoch: 'one' }, 'epoch'],
      [{ pub: { ...key.public, scheme: 'nope' } }, 'pub'],
    ];
    for (const [change, param] of bad) {
      const e = await rejectsWith(() => reshareDeal({ ...base, secret: key.secrets[0]!, ...change } as Parameters<typeof reshareDeal>[0]), 'INVALID_ARGUMENT');
      assert.equal(e.param, param, e.message);
    }
    const e = await rejectsWith(() => reshareFinish({ ...base, self: identifierFor(scheme, 9) }, [], []), 'INVALID_ARGUMENT');
    assert.equal(e.param, 'self');
  });

  it('refuses messages of another session, epoch or sender, and a missing dealer', async () => {
    const dealt = [0, 1].map((i) => reshareDeal({ ...base, secret: key.secrets[i]! }));
    const c = dealt.map((d) => d.commitment);
    const inbox = dealt.flatMap((d) => d.subShares).filter((m) => m.to === base.holders[2]);
    const finish = (cs: ReshareCommitment[], ss: ReshareSubShare[]) => reshareFinish({ ...base, self: base.holders[2]! }, cs, ss);
    assert.equal(finish(c, inbox).epoch, 1);
    for (const [cs, ss, param] of [
      [c.slice(1), inbox, 'commitments'],
      [c.map((m) => ({ ...m, epoch: 1 })), inbox, 'commitments'],
      [c, inbox.map((m) => ({ ...m, sessionId: 'x' })), 'subShares'],
      [c, inbox.map((m) => ({ ...m, to: base.holders[0]! })), 'subShares'],
      [c, [inbox[0]!, inbox[0]!], 'subShares'],
    ] as const) {
      const e = await rejectsWith(() => finish([...cs], [...ss]), 'INVALID_ARGUMENT');
      assert.equal(e.param, param, e.message);
    }
    assert.throws(() => JSON.stringify(inbox), TypeError);
  });
});

describe('reshare: golden vectors (RFC 9591 Appendix E keys, seeded randomness)', () => {
  // 2-of-3 on identifiers 1–3, dealers 1 and 3, to 3-of-4 on identifiers 2–5.
  const GOLDEN: Record<SchemeName, { deal: string; result: string }> = {
    'frost-ed25519': {
      deal: 'a6d8a6260725f7a3630da5b07d8d6897ad402668bf4851f7f39cd909349b420c',
      result: '31c13949b78716526d72ee5f992f7b590617ff5765cdbc803e4f444ec10707c0',
    },
    'frost-secp256k1': {
      deal: '0031f1e23cc4323c73fc590ab155585be9e99629e57d04f05a73bea196153c5e',
      result: '8d8b734e80fe40517470c98a67ea3f0c91b7d1ba87a77f183528e88b9afb4e87',
    },
    'frost-secp256k1-tr': {
      deal: 'e53316e487c8c11fb06eae6a477db589730efb7c702e9333a4c4cad16802b3b9',
      result: '78f6e6948ac78048068224ed9561ebd0d6ad559ecd12c76e91c6df6ae4b6d36a',
    },
  };
  for (const scheme of SCHEME_NAMES) {
    it(`${scheme}: the dealings and the new packages are unchanged`, () => {
      const key = vectorDealerKey(scheme);
      const session: ReshareSession = {
        sessionId: 'golden',
        pub: key.public,
        epoch: 0,
        dealers: ids(scheme, [1, 3]),
        minSigners: 3,
        holders: ids(scheme, [2, 3, 4, 5]),
      };
      const rng = seededRng(`wr reshare golden ${scheme}`);
      const dealt = [key.secrets[0]!, key.secrets[2]!].map((secret) => reshareDealWithRng({ ...session, secret }, rng));
      const out = session.holders.map((self) =>
        reshareFinish(
          { ...session, self },
          dealt.map((d) => d.commitment),
          dealt.flatMap((d) => d.subShares).filter((m) => m.to === self),
        ),
      );
      assert.equal(out[0]!.public.groupPublicKey, key.public.groupPublicKey);
      assert.deepEqual({ deal: digestOf(dealt), result: digestOf(out) }, GOLDEN[scheme]);
    });
  }
});

describe('reshare: properties (fast-check)', () => {
  it('any t′ new shares sign under the unchanged key, t′ − 1 do not interpolate it, and old and new never mix', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SCHEME_NAMES),
        fc.integer({ min: 2, max: 3 }).chain((t) => fc.tuple(fc.constant(t), fc.integer({ min: t, max: 4 }))),
        fc.integer({ min: 2, max: 3 }).chain((t) => fc.tuple(fc.constant(t), fc.integer({ min: t, max: 4 }))),
        fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 4, maxLength: 4 }),
        fc.infiniteStream(fc.nat()),
        (scheme, [t, n], [t2, n2], newIds, picks) => {
          const key = dealerKey(scheme, t, n);
          const old = holdersOf(key);
          const dealers = pickOrder(n, picks)
            .slice(0, t)
            .map((i) => key.secrets[i]!);
          const out = runReshare(key.public, dealers, 0, t2, ids(scheme, newIds.slice(0, n2)));
          const quorum = pickOrder(n2, picks)
            .slice(0, t2)
            .map((i) => out[i]!);
          const m = utf8(`${t}-of-${n} to ${t2}-of-${n2}`);
          assert.equal(getScheme(scheme).verify(signWith(scheme, quorum, m), m, hex(key.public.groupPublicKey)), true);
          assert.equal(interpolatesGroupSecret(quorum), true);
          assert.equal(interpolatesGroupSecret(quorum.slice(1)), false);
          // An old share in place of a new one (same identifier or not) is refused.
          const mixed = [old[0]!, ...quorum.slice(1)];
          if (new Set(mixed.map((h) => h.secret.identifier)).size === mixed.length) assert.throws(() => signWith(scheme, mixed, m, out[0]!.public));
        },
      ),
      { numRuns: 6 },
    );
  });
});
