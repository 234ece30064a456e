/** Proactive refresh (refreshRound1/2): same group key, epoch + 1, old and new shares never combine, tampering names its sender. */
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import fc from 'fast-check';

import { Secret, toHex, utf8 } from '@wr/common';

import {
  SCHEME_NAMES,
  ShareInvalidError,
  SecretRefreshState,
  getScheme,
  identifierFor,
  refreshRound1,
  refreshRound2,
  validateKeyPackage,
  type SchemeName,
} from '../src/index.js';
import { getSchemeSuite } from '../src/frost/schemes.js';
import { refreshRound1WithRng } from '../src/frost/refresh.js';
import { dealerKey, hex, makeNodes, pairs, rejectsWith, runDkg, vectorDealerKey } from './helpers.js';
import { bumpScalar, digestOf, holdersOf, pickOrder, runRefresh, seededRng, signWith, type Held } from './lifecycle-helpers.js';
import { interpolatesGroupSecret } from './lifecycle-math.js';

const msg = utf8('after refresh');

describe('refresh: every holder deals a sharing of zero', () => {
  for (const scheme of SCHEME_NAMES) {
    it(`${scheme}: 2-of-3 keeps the group key and commitments[0], bumps the epoch, and every pair of new shares signs`, () => {
      const key = dealerKey(scheme, 2, 3);
      const out = runRefresh(holdersOf(key), 4);
      for (const r of out) {
        assert.deepEqual(r.public, out[0]!.public);
        assert.equal(r.confirmation, out[0]!.confirmation);
        assert.equal(r.epoch, 5);
        validateKeyPackage(r.public, r.secret);
      }
      const pub = out[0]!.public;
      assert.equal(pub.groupPublicKey, key.public.groupPublicKey);
      assert.equal(pub.commitments[0], key.public.commitments[0]);
      assert.notEqual(pub.commitments[1], key.public.commitments[1]);
      assert.equal(pub.minSigners, 2);
      assert.equal(pub.maxSigners, 3);
      for (const [i, r] of out.entries()) {
        assert.notEqual(toHex(r.secret.signingShare.expose()), toHex(key.secrets[i]!.signingShare.expose()));
        assert.notEqual(pub.verifyingShares[r.secret.identifier], key.public.verifyingShares[r.secret.identifier]);
      }
      for (const [a, b] of pairs(out)) assert.equal(getScheme(scheme).verify(signWith(scheme, [a, b], msg), msg, hex(pub.groupPublicKey)), true);
    });

    it(`${scheme}: one old and one new share do not sign together, whichever package aggregates`, async () => {
      const key = dealerKey(scheme, 2, 3);
      const old = holdersOf(key);
      const out = runRefresh(old, 0);
      // The old signer signs with its own (old) package; aggregation under the new package blames it.
      let err = (await rejectsWith(() => signWith(scheme, [old[0]!, out[1]!], msg, out[1]!.public), 'SHARE_INVALID', 'signature-share')) as ShareInvalidError;
      assert.deepEqual(err.culprits, [old[0]!.secret.identifier]);
      // Under the old package, the new signer is blamed.
      err = (await rejectsWith(() => signWith(scheme, [old[0]!, out[1]!], msg, old[0]!.public), 'SHARE_INVALID', 'signature-share')) as ShareInvalidError;
      assert.deepEqual(err.culprits, [out[1]!.secret.identifier]);
      // A new share used with the old package (or the reverse) yields a share that fails verification.
      const mixed: Held = { public: old[1]!.public, secret: out[1]!.secret };
      await rejectsWith(() => signWith(scheme, [old[0]!, mixed], msg), 'SHARE_INVALID', 'signature-share');
    });
  }

  it('a second refresh goes to epoch + 2 and still signs; an old epoch is refused at round 2', async () => {
    const key = dealerKey('frost-ed25519', 3, 4);
    const e1 = runRefresh(holdersOf(key), 0, { sessionId: 'r1' });
    const e2 = runRefresh(e1, 1, { sessionId: 'r2' });
    assert.equal(e2[0]!.epoch, 2);
    assert.equal(e2[0]!.public.groupPublicKey, key.public.groupPublicKey);
    assert.equal(getScheme('frost-ed25519').verify(signWith('frost-ed25519', [e2[0]!, e2[2]!, e2[3]!], msg), msg, hex(key.public.groupPublicKey)), true);
    // Holders disagreeing on the epoch: the round-1 messages of epoch 1 are refused by a holder at epoch 0.
    const participants = e1.map((h) => h.secret.identifier);
    const r1 = e1.map((h, i) => refreshRound1({ sessionId: 's', pub: h.public, secret: h.secret, epoch: i === 0 ? 0 : 1, participants }));
    const e = await rejectsWith(
      () =>
        refreshRound2(
          r1[0]!.state,
          r1.map((r) => r.commitment),
          r1.flatMap((r) => r.subShares).filter((m) => m.to === participants[0]),
        ),
      'INVALID_ARGUMENT',
    );
    assert.match(e.message, /epoch 1, not 0/);
  });

  it('a Taproot key made by DKG (TapTweak applied) refreshes and signs BIP340 signatures under the same output key', async () => {
    const scheme: SchemeName = 'frost-secp256k1-tr';
    const keys = await runDkg(scheme, 2, await makeNodes(scheme, 3));
    const out = runRefresh(keys, 0);
    assert.equal(out[0]!.public.groupPublicKey, keys[0]!.public.groupPublicKey);
    for (const [a, b] of pairs(out)) assert.equal(getScheme(scheme).verify(signWith(scheme, [a, b], msg), msg, hex(keys[0]!.public.groupPublicKey)), true);
  });

  it('a holder left out of participants is removed: maxSigners shrinks and its identifier has no verifying share', () => {
    const key = dealerKey('frost-secp256k1', 2, 3);
    const out = runRefresh(holdersOf(key).slice(0, 2), 7);
    assert.equal(out[0]!.public.maxSigners, 2);
    assert.deepEqual(Object.keys(out[0]!.public.verifyingShares).sort(), [key.secrets[0]!.identifier, key.secrets[1]!.identifier].sort());
    assert.equal(getScheme('frost-secp256k1').verify(signWith('frost-secp256k1', out, msg), msg, hex(key.public.groupPublicKey)), true);
  });
});

describe('refresh: receivers check every dealing and name the culprit', () => {
  const scheme: SchemeName = 'frost-secp256k1';
  const key = () => holdersOf(dealerKey(scheme, 3, 4));

  it('a wrong sub-share is refused with check refresh-share, naming its sender', async () => {
    const holders = key();
    const cheat = holders[1]!.secret.identifier;
    const victim = holders[2]!.secret.identifier;
    const err = (await rejectsWith(
      () =>
        runRefresh(holders, 0, {
          tamper: { subShares: (s) => s.map((m) => (m.from === cheat && m.to === victim ? { ...m, subShare: bumpScalar(m.subShare, false) } : m)) },
        }),
      'SHARE_INVALID',
      'refresh-share',
    )) as ShareInvalidError;
    assert.deepEqual(err.culprits, [cheat]);
  });

  it('a dealer sharing a non-zero secret (sub-shares shifted by a constant) is caught: the constant term must commit to the identity', async () => {
    const holders = key();
    const cheat = holders[0]!.secret.identifier;
    const Fn = getSchemeSuite(scheme).frost.utils.Fn;
    const shift = (s: Secret<Uint8Array>) => new Secret(Fn.toBytes(Fn.add(Fn.fromBytes(s.expose()), 12345n)));
    const err = (await rejectsWith(
      () => runRefresh(holders, 0, { tamper: { subShares: (s) => s.map((m) => (m.from === cheat ? { ...m, subShare: shift(m.subShare) } : m)) } }),
      'SHARE_INVALID',
      'refresh-share',
    )) as ShareInvalidError;
    assert.deepEqual(err.culprits, [cheat]);
  });

  it('swapped or malformed commitments are refused, naming the dealer', async () => {
    const holders = key();
    const [a, b] = [holders[1]!.secret.identifier, holders[3]!.secret.identifier];
    // Another dealer's (valid) commitments: the sub-shares no longer match them.
    let err = (await rejectsWith(
      () =>
        runRefresh(holders, 0, {
          tamper: { commitments: (c) => c.map((m) => (m.from === a ? { ...m, commitments: c.find((x) => x.from === b)!.commitments } : m)) },
        }),
      'SHARE_INVALID',
      'refresh-share',
    )) as ShareInvalidError;
    assert.deepEqual(err.culprits, [a]);
    // Wrong count, or not a group element.
    err = (await rejectsWith(
      () => runRefresh(holders, 0, { tamper: { commitments: (c) => c.map((m) => (m.from === b ? { ...m, commitments: m.commitments.slice(1) } : m)) } }),
      'SHARE_INVALID',
      'refresh-commitment',
    )) as ShareInvalidError;
    assert.deepEqual(err.culprits, [b]);
    err = (await rejectsWith(
      () =>
        runRefresh(holders, 0, {
          tamper: { commitments: (c) => c.map((m) => (m.from === b ? { ...m, commitments: ['02' + 'ff'.repeat(32), ...m.commitments.slice(1)] } : m)) },
        }),
      'SHARE_INVALID',
      'refresh-commitment',
    )) as ShareInvalidError;
    assert.deepEqual(err.culprits, [b]);
  });

  it('a relay that shows a holder another commitment for that holder itself is caught (refresh-own)', async () => {
    const holders = key();
    const self = holders[0]!.secret.identifier;
    const other = holders[1]!.secret.identifier;
    const participants = holders.map((h) => h.secret.identifier);
    const r1 = holders.map((h) => refreshRound1({ sessionId: 's', pub: h.public, secret: h.secret, epoch: 0, participants }));
    const commitments = r1.map((r) => (r.commitment.from === self ? { ...r.commitment, commitments: r1[1]!.commitment.commitments } : r.commitment));
    const err = (await rejectsWith(
      () =>
        refreshRound2(
          r1[0]!.state,
          commitments,
          r1.flatMap((r) => r.subShares).filter((m) => m.to === self),
        ),
      'SHARE_INVALID',
      'refresh-own',
    )) as ShareInvalidError;
    assert.deepEqual(err.culprits, [self]);
    assert.notEqual(self, other);
  });
});

describe('refresh: boundary checks and one-use state', () => {
  const key = dealerKey('frost-ed25519', 2, 3);
  const participants = key.secrets.map((s) => s.identifier);
  const base = { sessionId: 's', pub: key.public, secret: key.secrets[0]!, epoch: 0, participants };

  it('refuses bad participants, epochs, session ids and keys with INVALID_ARGUMENT or SHARE_INVALID', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ participants: [participants[0]] }, 'participants'],
      [{ participants: [participants[0], participants[0], participants[1]] }, 'participants'],
      [{ participants: [participants[1], participants[2]] }, 'participants'],
      [{ participants: [participants[0], identifierFor('frost-ed25519', 9)] }, 'participants'],
      [{ participants: [participants[0], 'zz'] }, 'participants'],
      [{ epoch: -1 }, 'epoch'],
      [{ epoch: 1.5 }, 'epoch'],
      [{ sessionId: 'has space' }, 'sessionId'],
      [{ secret: { identifier: participants[0], signingShare: 'x' } }, 'secret'],
    ];
    for (const [change, param] of bad) {
      const e = await rejectsWith(() => refreshRound1({ ...base, ...change } as typeof base), 'INVALID_ARGUMENT');
      assert.equal(e.param, param, e.message);
    }
    // A share that is not the holder's: SHARE_INVALID naming the check.
    await rejectsWith(
      () => refreshRound1({ ...base, secret: { identifier: participants[0]!, signingShare: key.secrets[1]!.signingShare } }),
      'SHARE_INVALID',
      'signing-share',
    );
  });

  it('round 2 refuses missing, duplicated, foreign and misaddressed messages', async () => {
    const fresh = () => key.secrets.map((secret) => refreshRound1({ ...base, secret }));
    const cases: [string, (r: ReturnType<typeof fresh>) => Parameters<typeof refreshRound2>][] = [
      ['commitments', (r) => [r[0]!.state, r.map((x) => x.commitment).slice(1), inbox(r)]],
      ['commitments', (r) => [r[0]!.state, [r[1]!.commitment, r[1]!.commitment, r[2]!.commitment], inbox(r)]],
      ['commitments', (r) => [r[0]!.state, r.map((x) => ({ ...x.commitment, sessionId: 'other' })), inbox(r)]],
      ['commitments', (r) => [r[0]!.state, r.map((x) => ({ ...x.commitment, scheme: 'frost-secp256k1' as const })), inbox(r)]],
      ['subShares', (r) => [r[0]!.state, r.map((x) => x.commitment), inbox(r).slice(1)]],
      ['subShares', (r) => [r[0]!.state, r.map((x) => x.commitment), r[1]!.subShares]],
    ];
    const inbox = (r: ReturnType<typeof fresh>) => r.flatMap((x) => x.subShares).filter((m) => m.to === participants[0]);
    for (const [param, make] of cases) {
      const e = await rejectsWith(() => refreshRound2(...make(fresh())), 'INVALID_ARGUMENT');
      assert.equal(e.param, param, e.message);
    }
  });

  it('the state is one-use, redacts itself, refuses JSON, and is aborted by a failure or destroy()', async () => {
    const r = key.secrets.map((secret) => refreshRound1({ ...base, secret }));
    const state = r[0]!.state;
    assert.ok(state instanceof SecretRefreshState);
    assert.equal(String(state), '<redacted>');
    assert.match(inspect(state), /^SecretRefreshState\(s, frost-ed25519, [0-9a-f]+, ready, <redacted>\)$/);
    assert.throws(() => JSON.stringify(state), TypeError);
    assert.throws(() => JSON.stringify(r[0]!.subShares), TypeError);
    const commitments = r.map((x) => x.commitment);
    const inbox = r.flatMap((x) => x.subShares).filter((m) => m.to === participants[0]);
    refreshRound2(state, commitments, inbox);
    assert.equal(state.stage, 'finished');
    assert.match((await rejectsWith(() => refreshRound2(state, commitments, inbox), 'INVALID_ARGUMENT')).message, /already used/);
    // A failed round aborts the state.
    await rejectsWith(() => refreshRound2(r[1]!.state, commitments.slice(1), []), 'INVALID_ARGUMENT');
    assert.equal(r[1]!.state.stage, 'aborted');
    r[2]!.state.destroy();
    assert.match((await rejectsWith(() => refreshRound2(r[2]!.state, commitments, []), 'INVALID_ARGUMENT')).message, /aborted/);
  });
});

describe('refresh: golden vectors (RFC 9591 Appendix E keys, seeded randomness)', () => {
  // Frozen digests of every round-1 message (sub-shares included) and every result; see digestOf in lifecycle-helpers.ts.
  const GOLDEN: Record<SchemeName, { round1: string; result: string }> = {
    'frost-ed25519': {
      round1: '96ab55cbc57bb1b3caa0059ee3fa5a3637fe42919c699d2a31178ddccaca3057',
      result: '7fe4b0959fba4cce84090231d6f6eb8ac3a8fb27a2d4fa082fe43f0ed7481f5a',
    },
    'frost-secp256k1': {
      round1: '3564adfb6264e02a293ad230d1c674c65d300281739cd736c87c9e9dc43a9a1a',
      result: '20ddb4c14b2065acd203eddfd1c4f96e233dcdee057f283ec6177a4f27727a12',
    },
    'frost-secp256k1-tr': {
      round1: '9eb6e391da7bd4a176e9702b7efe8ce706582804513edbd1060691e2a3e82698',
      result: '79e802409a22fac4774948e5a02bc9588ab90463b10f803767a022c2f3c9b810',
    },
  };
  for (const scheme of SCHEME_NAMES) {
    it(`${scheme}: round 1 and the refreshed packages are unchanged`, () => {
      const key = vectorDealerKey(scheme);
      const holders = holdersOf(key);
      const participants = holders.map((h) => h.secret.identifier);
      const rng = seededRng(`wr refresh golden ${scheme}`);
      const r1 = holders.map((h) => refreshRound1WithRng({ sessionId: 'golden', pub: h.public, secret: h.secret, epoch: 0, participants }, rng));
      const out = holders.map((h, i) =>
        refreshRound2(
          r1[i]!.state,
          r1.map((r) => r.commitment),
          r1.flatMap((r) => r.subShares).filter((m) => m.to === h.secret.identifier),
        ),
      );
      const got = { round1: digestOf(r1.map((r) => ({ commitment: r.commitment, subShares: r.subShares }))), result: digestOf(out) };
      assert.deepEqual(got, GOLDEN[scheme]);
    });
  }
});

describe('refresh: properties (fast-check)', () => {
  it('after a refresh any t new shares sign, t − 1 do not interpolate the key, and no set mixing epochs signs', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SCHEME_NAMES),
        fc.integer({ min: 2, max: 4 }).chain((t) => fc.tuple(fc.constant(t), fc.integer({ min: t, max: 4 }))),
        fc.infiniteStream(fc.nat()),
        (scheme, [t, n], picks) => {
          const key = dealerKey(scheme, t, n);
          const old = holdersOf(key);
          const out = runRefresh(old, 0);
          const order = pickOrder(n, picks);
          const quorum = order.slice(0, t).map((i) => out[i]!);
          const m = utf8(`t=${t} n=${n}`);
          assert.equal(getScheme(scheme).verify(signWith(scheme, quorum, m), m, hex(key.public.groupPublicKey)), true);
          assert.equal(interpolatesGroupSecret(quorum.slice(0, t - 1)), false);
          assert.equal(interpolatesGroupSecret(quorum), true);
          // Replace one signer of the quorum by its old share: refused whichever package aggregates.
          const mixed = [old[order[0]!]!, ...quorum.slice(1)];
          assert.throws(() => signWith(scheme, mixed, m, out[0]!.public), ShareInvalidError);
          assert.throws(() => signWith(scheme, mixed, m, old[0]!.public), ShareInvalidError);
        },
      ),
      { numRuns: 6 },
    );
  });
});
