/** Repair (repairStep1/2/3, the RTS of ZF frost's keys/repairable.rs): the lost share comes back, nothing else changes. */
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import fc from 'fast-check';

import { Secret, toHex, utf8 } from '@wr/common';

import {
  SCHEME_NAMES,
  SecretRepairState,
  ShareInvalidError,
  getScheme,
  identifierFor,
  repairStep1,
  repairStep2,
  repairStep3,
  type LifecycleResult,
  type PublicKeyPackage,
  type RepairDelta,
  type RepairSession,
  type RepairSigma,
  type SchemeName,
  type SecretKeyPackage,
} from '../src/index.js';
import { publicKeyPackageFromFrost } from '../src/frost/key-package.js';
import { defaultRng, type Rng } from '../src/frost/polynomial.js';
import { repairStep1WithRng } from '../src/frost/repair.js';
import { getSchemeSuite } from '../src/frost/schemes.js';
import { dealerKey, hex, queueRng, readVector, rejectsWith, scalarRandomness, vectorDealerKey } from './helpers.js';
import { bumpScalar, digestOf, holdersOf, pickOrder, seededRng, signWith } from './lifecycle-helpers.js';

/** The helpers run steps 1 and 2, the participant step 3. */
function runRepair(
  pub: PublicKeyPackage,
  helpers: SecretKeyPackage[],
  participant: string,
  epoch: number,
  opts: { sessionId?: string; rng?: Rng; deltas?: (d: RepairDelta[]) => RepairDelta[]; sigmas?: (s: RepairSigma[]) => RepairSigma[] } = {},
): LifecycleResult {
  const session: RepairSession = { sessionId: opts.sessionId ?? 'repair-1', pub, epoch, helpers: helpers.map((h) => h.identifier), participant };
  const s1 = helpers.map((secret) => repairStep1WithRng({ ...session, secret }, opts.rng ?? defaultRng));
  const deltas = (opts.deltas ?? ((d) => d))(s1.flatMap((s) => s.deltas));
  const sigmas = helpers.map((h, i) =>
    repairStep2(
      s1[i]!.state,
      deltas.filter((d) => d.to === h.identifier),
    ),
  );
  return repairStep3(session, (opts.sigmas ?? ((s) => s))(sigmas).reverse());
}

const ids = (scheme: SchemeName, ns: number[]) => ns.map((n) => identifierFor(scheme, n));
const msg = utf8('after repair');

describe('repair: a quorum of helpers rebuilds a lost share', () => {
  for (const scheme of SCHEME_NAMES) {
    it(`${scheme}: 3-of-5, share 2 lost, helpers 1, 4 and 5 rebuild exactly it; the repaired holder signs`, () => {
      const key = dealerKey(scheme, 3, 5);
      const lost = key.secrets[1]!;
      const out = runRepair(key.public, [key.secrets[0]!, key.secrets[3]!, key.secrets[4]!], lost.identifier, 6);
      assert.equal(toHex(out.secret.signingShare.expose()), toHex(lost.signingShare.expose()));
      assert.equal(out.secret.identifier, lost.identifier);
      assert.deepEqual(out.public, key.public);
      assert.equal(out.epoch, 6);
      const holders = holdersOf(key);
      assert.equal(getScheme(scheme).verify(signWith(scheme, [out, holders[2]!, holders[3]!], msg), msg, hex(key.public.groupPublicKey)), true);
    });
  }

  it('repairs a share of a refreshed key at its epoch (old-epoch helpers cannot help)', async () => {
    const { runRefresh } = await import('./lifecycle-helpers.js');
    const key = dealerKey('frost-ed25519', 2, 3);
    const refreshed = runRefresh(holdersOf(key), 0);
    const pub = refreshed[0]!.public;
    const out = runRepair(
      pub,
      refreshed.slice(1).map((r) => r.secret),
      refreshed[0]!.secret.identifier,
      1,
    );
    assert.equal(toHex(out.secret.signingShare.expose()), toHex(refreshed[0]!.secret.signingShare.expose()));
    // Helpers holding epoch-0 shares do not pass their key check against the epoch-1 package.
    await rejectsWith(() => runRepair(pub, key.secrets.slice(1), key.secrets[0]!.identifier, 1), 'SHARE_INVALID', 'signing-share');
  });
});

describe('repair: ZF frost repair-share.json (frost-secp256k1/tests)', () => {
  const v = readVector<{ scalar_generation: Record<string, string>; sigma_generation: Record<string, string> }>('secp256k1-repair-share.json');

  it('frost-secp256k1 step 2: a helper adds its own delta and the two it received (scalar_generation)', () => {
    const scheme: SchemeName = 'frost-secp256k1';
    const key = dealerKey(scheme, 3, 4);
    const g = v.scalar_generation;
    const session: RepairSession = { sessionId: 'zf', pub: key.public, epoch: 0, helpers: ids(scheme, [1, 2, 3]), participant: identifierFor(scheme, 4) };
    // Helper 1 comes first among the helpers, so its own delta is its first random value.
    const rng = queueRng([scalarRandomness(scheme, g['random_scalar_1']!), scalarRandomness(scheme, g['random_scalar_2']!)]);
    const { state } = repairStep1WithRng({ ...session, secret: key.secrets[0]! }, rng);
    const delta = (from: number, value: string): RepairDelta => ({
      sessionId: 'zf',
      scheme,
      epoch: 0,
      from: identifierFor(scheme, from),
      to: identifierFor(scheme, 1),
      delta: new Secret(hex(value)),
    });
    const sigma = repairStep2(state, [delta(2, g['random_scalar_2']!), delta(3, g['random_scalar_3']!)]);
    assert.equal(toHex(sigma.sigma.expose()), g['random_scalar_sum']);
    assert.equal(sigma.to, identifierFor(scheme, 4));
  });

  it('frost-ed25519 step 3: the participant adds four sigmas (sigma_generation, which are Ed25519-field scalars)', () => {
    // The file's sigma_* values are little-endian scalars mod the Ed25519 (= ristretto255) group order:
    // they add up to sigma_sum there, not mod the secp256k1 order. So they pin frost-ed25519's step 3.
    const scheme: SchemeName = 'frost-ed25519';
    const s = getSchemeSuite(scheme);
    const Fn = s.frost.utils.Fn;
    const g = v.sigma_generation;
    const sum = Fn.fromBytes(hex(g['sigma_sum']!));
    // A 2-of-5 key whose polynomial f(x) = a0 + a1·x has f(2) = sigma_sum, so step 3's check against
    // the verifying share of identifier 2 passes exactly when the sigmas add up to sigma_sum.
    const a1 = 7n;
    const a0 = Fn.sub(sum, Fn.mul(a1, 2n));
    const deal = s.frost.trustedDealer({ min: 2, max: 5 }, undefined, Fn.toBytes(a0), queueRng([scalarRandomness(scheme, toHex(Fn.toBytes(a1)))]));
    const pub = publicKeyPackageFromFrost(scheme, deal.public);
    const session: RepairSession = { sessionId: 'zf', pub, epoch: 0, helpers: ids(scheme, [1, 3, 4, 5]), participant: identifierFor(scheme, 2) };
    const sigmas = [1, 3, 4, 5].map((from, i): RepairSigma => ({
      sessionId: 'zf',
      scheme,
      epoch: 0,
      from: identifierFor(scheme, from),
      to: identifierFor(scheme, 2),
      sigma: new Secret(hex(g[`sigma_${i + 1}`]!)),
    }));
    const out = repairStep3(session, sigmas);
    assert.equal(toHex(out.secret.signingShare.expose()), g['sigma_sum']);
    assert.equal(toHex(out.secret.signingShare.expose()), toHex(deal.secretShares[identifierFor(scheme, 2)]!.signingShare));
  });
});

describe('repair: tampering and boundary checks', () => {
  const scheme: SchemeName = 'frost-secp256k1';
  const key = dealerKey(scheme, 2, 4);
  const helpers = [key.secrets[0]!, key.secrets[2]!, key.secrets[3]!];
  const participant = key.secrets[1]!.identifier;

  it('a wrong delta or sigma makes step 3 refuse the share (repair-share); a malformed one names its sender', async () => {
    const cheat = helpers[1]!.identifier;
    await rejectsWith(
      () =>
        runRepair(key.public, helpers, participant, 0, { deltas: (d) => d.map((m) => (m.from === cheat ? { ...m, delta: bumpScalar(m.delta, false) } : m)) }),
      'SHARE_INVALID',
      'repair-share',
    );
    await rejectsWith(
      () =>
        runRepair(key.public, helpers, participant, 0, { sigmas: (s) => s.map((m) => (m.from === cheat ? { ...m, sigma: bumpScalar(m.sigma, false) } : m)) }),
      'SHARE_INVALID',
      'repair-share',
    );
    let err = (await rejectsWith(
      () =>
        runRepair(key.public, helpers, participant, 0, {
          deltas: (d) => d.map((m) => (m.from === cheat ? { ...m, delta: new Secret(new Uint8Array(31)) } : m)),
        }),
      'SHARE_INVALID',
      'repair-delta',
    )) as ShareInvalidError;
    assert.deepEqual(err.culprits, [cheat]);
    err = (await rejectsWith(
      () =>
        runRepair(key.public, helpers, participant, 0, {
          sigmas: (s) => s.map((m) => (m.from === cheat ? { ...m, sigma: new Secret(new Uint8Array(32).fill(0xff)) } : m)),
        }),
      'SHARE_INVALID',
      'repair-sigma',
    )) as ShareInvalidError;
    assert.deepEqual(err.culprits, [cheat]);
  });

  it('refuses a participant among the helpers, too few helpers, strangers, and messages of another epoch or session', async () => {
    const base = { sessionId: 's', pub: key.public, epoch: 0, helpers: helpers.map((h) => h.identifier), participant, secret: helpers[0]! };
    const bad: [Record<string, unknown>, string][] = [
      [{ participant: helpers[1]!.identifier }, 'helpers'],
      [{ participant: identifierFor(scheme, 9) }, 'participant'],
      [{ helpers: [helpers[0]!.identifier] }, 'helpers'],
      [{ helpers: [helpers[0]!.identifier, identifierFor(scheme, 9)] }, 'helpers'],
      [{ helpers: [helpers[0]!.identifier, helpers[0]!.identifier] }, 'helpers'],
      [{ helpers: [helpers[1]!.identifier, helpers[2]!.identifier] }, 'helpers'],
      [{ epoch: -2 }, 'epoch'],
    ];
    for (const [change, param] of bad) {
      const e = await rejectsWith(() => repairStep1({ ...base, ...change } as typeof base), 'INVALID_ARGUMENT');
      assert.equal(e.param, param, e.message);
    }
    const s1 = helpers.map((secret) => repairStep1({ ...base, secret }));
    const inbox = s1.flatMap((s) => s.deltas).filter((d) => d.to === helpers[0]!.identifier);
    let e = await rejectsWith(
      () =>
        repairStep2(
          s1[0]!.state,
          inbox.map((d) => ({ ...d, epoch: 1 })),
        ),
      'INVALID_ARGUMENT',
    );
    assert.equal(e.param, 'deltas');
    assert.equal(s1[0]!.state.stage, 'aborted');
    e = await rejectsWith(() => repairStep2(s1[1]!.state, inbox), 'INVALID_ARGUMENT');
    assert.equal(e.param, 'deltas');
    const sigma = repairStep2(
      s1[2]!.state,
      s1.flatMap((s) => s.deltas).filter((d) => d.to === helpers[2]!.identifier),
    );
    e = await rejectsWith(() => repairStep3(base, [sigma, { ...sigma, sessionId: 'other' }, sigma]), 'INVALID_ARGUMENT');
    assert.equal(e.param, 'sigmas');
  });

  it('the helper state is one-use, redacted and refuses JSON; deltas and sigmas refuse JSON', async () => {
    const base = { sessionId: 's', pub: key.public, epoch: 0, helpers: helpers.map((h) => h.identifier), participant };
    const s1 = helpers.map((secret) => repairStep1({ ...base, secret }));
    const state = s1[0]!.state;
    assert.ok(state instanceof SecretRepairState);
    assert.equal(`${state}`, '<redacted>');
    assert.match(inspect(state), /^SecretRepairState\(s, frost-secp256k1, [0-9a-f]+, ready, <redacted>\)$/);
    assert.throws(() => JSON.stringify(state), TypeError);
    assert.throws(() => JSON.stringify(s1[0]!.deltas), TypeError);
    const inbox = s1.flatMap((s) => s.deltas).filter((d) => d.to === helpers[0]!.identifier);
    const sigma = repairStep2(state, inbox);
    assert.throws(() => JSON.stringify(sigma), TypeError);
    assert.match((await rejectsWith(() => repairStep2(state, inbox), 'INVALID_ARGUMENT')).message, /already used/);
  });
});

describe('repair: golden vectors (RFC 9591 Appendix E keys, seeded randomness)', () => {
  // 2-of-3: helpers 1 and 3 rebuild the share of 2. Digests of every delta, sigma and the result.
  const GOLDEN: Record<SchemeName, string> = {
    'frost-ed25519': 'f79c95681252cb3deef5e9eedc9ff49b4bceb777aea4f859584700150304386d',
    'frost-secp256k1': 'f2b2be2a9d1f6a82cbba254c2f04cc11e7ea9f86b03e1fe3e50f5de5780ce9c3',
    'frost-secp256k1-tr': '72a7186ef34143c6a6800f1839e73e9a14ffe60e73319d5dd8a56b28d455f893',
  };
  for (const scheme of SCHEME_NAMES) {
    it(`${scheme}: the deltas, sigmas and repaired share are unchanged`, () => {
      const key = vectorDealerKey(scheme);
      const session: RepairSession = { sessionId: 'golden', pub: key.public, epoch: 0, helpers: ids(scheme, [1, 3]), participant: identifierFor(scheme, 2) };
      const rng = seededRng(`wr repair golden ${scheme}`);
      const helpers = [key.secrets[0]!, key.secrets[2]!];
      const s1 = helpers.map((secret) => repairStep1WithRng({ ...session, secret }, rng));
      const deltas = s1.flatMap((s) => s.deltas);
      const sigmas = helpers.map((h, i) =>
        repairStep2(
          s1[i]!.state,
          deltas.filter((d) => d.to === h.identifier),
        ),
      );
      const out = repairStep3(session, sigmas);
      assert.equal(toHex(out.secret.signingShare.expose()), key.vector.inputs.participant_shares[1].participant_share);
      assert.equal(digestOf({ deltas, sigmas, out }), GOLDEN[scheme]);
    });
  }
});

describe('repair: properties (fast-check)', () => {
  it('any quorum of helpers rebuilds any lost share exactly', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SCHEME_NAMES),
        fc.integer({ min: 2, max: 4 }).chain((t) => fc.tuple(fc.constant(t), fc.integer({ min: t + 1, max: 5 }))),
        fc.infiniteStream(fc.nat()),
        fc.nat(),
        (scheme, [t, n], picks, extra) => {
          const key = dealerKey(scheme, t, n);
          const [lost, ...rest] = pickOrder(n, picks);
          const helperCount = t + (extra % (n - t));
          const out = runRepair(
            key.public,
            rest.slice(0, helperCount).map((i) => key.secrets[i]!),
            key.secrets[lost!]!.identifier,
            0,
          );
          assert.equal(toHex(out.secret.signingShare.expose()), toHex(key.secrets[lost!]!.signingShare.expose()));
        },
      ),
      { numRuns: 8 },
    );
  });
});
