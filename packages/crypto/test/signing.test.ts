/** Threshold signing: one-use nonces, culprit attribution, boundary checks, recovery; node keys. */
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { Secret, utf8 } from '@wr/common';

import {
  ShareInvalidError,
  SCHEME_NAMES,
  aggregateSignature,
  generateSigningKey,
  getScheme,
  identifierFor,
  recoverGroupSecret,
  signBytes,
  signRound1,
  signRound2,
  signWithGroupSecret,
  signingPublicKey,
  verifyBytes,
  type SchemeName,
} from '../src/index.js';
import { exposeNoncesForTest } from '../src/frost/signing.js';
import { dealerKey, hex, rejectsWith } from './helpers.js';

const msg = utf8('message');

function session(scheme: SchemeName, min = 2, max = 3, signers = [0, 1]) {
  const key = dealerKey(scheme, min, max);
  const r1 = signers.map((i) => signRound1(scheme, key.secrets[i]!));
  return { key, r1, list: r1.map((r) => r.commitments), who: signers.map((i) => key.secrets[i]!) };
}

describe('signRound1 / signRound2: one-use nonces', () => {
  for (const scheme of SCHEME_NAMES) {
    it(`${scheme}: nonce reuse throws, and the nonces are spent even when signing fails`, async () => {
      const { key, r1, list, who } = session(scheme);
      signRound2(scheme, who[0]!, key.public, r1[0]!.nonces, list, msg);
      assert.equal(r1[0]!.nonces.used, true);
      const e = await rejectsWith(() => signRound2(scheme, who[0]!, key.public, r1[0]!.nonces, list, utf8('other message')), 'INVALID_ARGUMENT');
      assert.equal(e.param, 'nonces');
      assert.match(e.message, /already used/);
      // A failed attempt (own commitment missing) spends the nonces too.
      await rejectsWith(() => signRound2(scheme, who[1]!, key.public, r1[1]!.nonces, [list[0]!], msg), 'INVALID_ARGUMENT');
      await rejectsWith(() => signRound2(scheme, who[1]!, key.public, r1[1]!.nonces, list, msg), 'INVALID_ARGUMENT');
    });
  }

  it('nonces redact themselves and refuse JSON', () => {
    const { r1 } = session('frost-ed25519');
    const n = r1[0]!.nonces;
    const { hiding, binding } = exposeNoncesForTest(n)!;
    assert.equal(String(n), '<redacted>');
    for (const text of [inspect(n), inspect({ n }), String(n), `${n}`]) {
      assert.equal(text.includes(hiding) || text.includes(binding), false);
    }
    assert.match(inspect(n), /<redacted>/);
    assert.throws(() => JSON.stringify(n), TypeError);
    n.destroy();
    assert.equal(n.used, true);
  });

  it(
    'checks the session at the boundary: own commitment present and its own, ' + 'distinct identifiers, minSigners ≤ count ≤ maxSigners, participants only',
    async () => {
      const scheme = 'frost-ed25519';
      const { key, list, who } = session(scheme, 2, 3, [0, 1]);
      const fresh = () => signRound1(scheme, who[0]!).nonces;
      const other = signRound1(scheme, key.secrets[2]!).commitments;
      await rejectsWith(() => signRound2(scheme, who[0]!, key.public, fresh(), [list[0]!], msg), 'INVALID_ARGUMENT'); // below minSigners
      await rejectsWith(() => signRound2(scheme, who[0]!, key.public, fresh(), [list[0]!, list[0]!], msg), 'INVALID_ARGUMENT'); // duplicate
      await rejectsWith(() => signRound2(scheme, who[0]!, key.public, fresh(), [list[1]!, other], msg), 'INVALID_ARGUMENT'); // own missing
      await rejectsWith(() => signRound2(scheme, who[0]!, key.public, fresh(), list, msg), 'INVALID_ARGUMENT'); // list has stale commitments for these nonces
      const stranger = { ...other, identifier: identifierFor(scheme, 9) };
      await rejectsWith(() => signRound2(scheme, who[0]!, key.public, fresh(), [list[0]!, stranger], msg), 'INVALID_ARGUMENT');
      const n = signRound1(scheme, who[0]!);
      const bad = { ...n.commitments, hiding: n.commitments.hiding.toUpperCase() };
      await rejectsWith(() => signRound2(scheme, who[0]!, key.public, n.nonces, [bad, list[1]!], msg), 'INVALID_ARGUMENT');
      const two = dealerKey(scheme, 2, 2);
      const twoList = two.secrets.map((x) => signRound1(scheme, x).commitments);
      await rejectsWith(() => signRound2(scheme, who[0]!, two.public, fresh(), [...twoList, list[0]!], msg), 'INVALID_ARGUMENT'); // above maxSigners
      await rejectsWith(() => signRound2('frost-secp256k1', who[0]!, key.public, fresh(), list, msg), 'INVALID_ARGUMENT'); // wrong scheme
    },
  );
});

describe('aggregateSignature', () => {
  for (const scheme of SCHEME_NAMES) {
    it(`${scheme}: names the culprit when one share is corrupted`, async () => {
      const { key, r1, list, who } = session(scheme, 2, 3, [0, 2]);
      const shares = Object.fromEntries(who.map((w, i) => [w.identifier, signRound2(scheme, w, key.public, r1[i]!.nonces, list, msg)]));
      const good = aggregateSignature(scheme, key.public, list, msg, shares);
      assert.equal(getScheme(scheme).verify(good, msg, hex(key.public.groupPublicKey)), true);
      const culprit = who[1]!.identifier;
      const s = shares[culprit]!;
      const corrupted = { ...shares, [culprit]: s.slice(0, 40) + (s[40] === '0' ? '1' : '0') + s.slice(41) };
      const e = await rejectsWith(() => aggregateSignature(scheme, key.public, list, msg, corrupted), 'SHARE_INVALID', 'signature-share');
      assert.ok(e instanceof ShareInvalidError);
      assert.deepEqual(e.culprits, [culprit]);
      assert.ok(e.message.includes(culprit));
      // A share that is not even a scalar is blamed the same way; so is a share for another message.
      const e2 = await rejectsWith(() => aggregateSignature(scheme, key.public, list, msg, { ...shares, [culprit]: 'zz' }), 'SHARE_INVALID', 'signature-share');
      assert.deepEqual((e2 as ShareInvalidError).culprits, [culprit]);
      const e3 = await rejectsWith(
        () => aggregateSignature(scheme, key.public, list, utf8('not what they signed'), shares),
        'SHARE_INVALID',
        'signature-share',
      );
      assert.deepEqual([...(e3 as ShareInvalidError).culprits].sort(), who.map((w) => w.identifier).sort());
    });
  }

  it('refuses missing or extra shares', async () => {
    const scheme = 'frost-secp256k1';
    const { key, r1, list, who } = session(scheme);
    const shares = Object.fromEntries(who.map((w, i) => [w.identifier, signRound2(scheme, w, key.public, r1[i]!.nonces, list, msg)]));
    await rejectsWith(() => aggregateSignature(scheme, key.public, list, msg, { [who[0]!.identifier]: shares[who[0]!.identifier]! }), 'INVALID_ARGUMENT');
    await rejectsWith(
      () => aggregateSignature(scheme, key.public, list, msg, { ...shares, [key.secrets[2]!.identifier]: shares[who[0]!.identifier]! }),
      'INVALID_ARGUMENT',
    );
  });
});

describe('recoverGroupSecret', () => {
  for (const scheme of SCHEME_NAMES) {
    it(`${scheme}: any minSigners shares give the group secret, proven against the group key`, async () => {
      const key = dealerKey(scheme, 2, 3);
      const s = getScheme(scheme);
      const entries = key.secrets.map((secret) => ({ public: key.public, secret }));
      const a = recoverGroupSecret([entries[0]!, entries[1]!]);
      const b = recoverGroupSecret([entries[2]!, entries[0]!]);
      assert.deepEqual(a.expose(), b.expose());
      assert.equal(String(a), '<redacted>');
      const sig = signWithGroupSecret(scheme, msg, a);
      assert.equal(s.verify(sig, msg, hex(key.public.groupPublicKey)), true);
      await rejectsWith(() => recoverGroupSecret([entries[0]!]), 'SHARE_INVALID', 'quorum');
      await rejectsWith(() => recoverGroupSecret([entries[0]!, entries[0]!]), 'SHARE_INVALID', 'distinct-identifiers');
      const other = dealerKey(scheme, 2, 3);
      await rejectsWith(() => recoverGroupSecret([entries[0]!, { public: other.public, secret: other.secrets[1]! }]), 'SHARE_INVALID', 'same-key');
      const wrongShare = {
        public: key.public,
        secret: { identifier: key.secrets[1]!.identifier, signingShare: new Secret(Uint8Array.from(other.secrets[1]!.signingShare.expose())) },
      };
      await rejectsWith(() => recoverGroupSecret([entries[0]!, wrongShare]), 'SHARE_INVALID', 'signing-share');
    });
  }
});

describe('node signing keys (Ed25519)', () => {
  it('sign / verify, and verifyBytes is false (never throws) on malformed input', () => {
    const { secretKey, publicKey } = generateSigningKey();
    assert.equal(signingPublicKey(secretKey), publicKey);
    assert.match(publicKey, /^[0-9a-f]{64}$/);
    const sig = signBytes(secretKey, msg);
    assert.match(sig, /^[0-9a-f]{128}$/);
    assert.equal(verifyBytes(publicKey, msg, sig), true);
    assert.equal(verifyBytes(publicKey, utf8('other'), sig), false);
    for (const [pk, m, sg] of [
      [publicKey.toUpperCase(), msg, sig],
      [publicKey, msg, sig.slice(2)],
      ['zz', msg, sig],
      [publicKey, 'not bytes', sig],
      [undefined, msg, sig],
      [publicKey, msg, 42],
      ['00'.repeat(32), msg, sig],
    ] as const)
      assert.equal(verifyBytes(pk as string, m as unknown as Uint8Array, sg as unknown as string), false);
    assert.equal(String(secretKey), '<redacted>');
    assert.throws(() => JSON.stringify({ secretKey }), TypeError);
  });

  it('RFC 8032 §7.1 TEST 2 (one-byte message)', () => {
    const secretKey = new Secret(hex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'));
    assert.equal(signingPublicKey(secretKey), '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
    assert.equal(
      signBytes(secretKey, hex('72')),
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    );
  });
});
