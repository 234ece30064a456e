/** Key packages: the named checks, the stored encoding (golden), schemes and identifiers. */
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { Secret } from '@wr/common';

import {
  SCHEME_NAMES,
  checkKeyPackage,
  decodePublicKeyPackage,
  encodePublicKeyPackage,
  getScheme,
  identifierFor,
  validateKeyPackage,
  type PublicKeyPackage,
} from '../src/index.js';
import { getSchemeSuite } from '../src/frost/schemes.js';
import { canonicalJson, parseJsonStrict } from '@wr/common';
import { dealerKey, hex, rejectsWith, vectorDealerKey } from './helpers.js';

/** The RFC 9591 Appendix E.1 (Ed25519) dealer key, stored. Frozen: changing the format needs a new version. */
const GOLDEN_PUBLIC_KEY_PACKAGE =
  '{"commitments":["15d21ccd7ee42959562fc8aa63224c8851fb3ec85a3faf66040d380fb9738673","6e4226d69664a098507f8b7de582bdd55f6763e54fdec46a061dc4df8a93160f"],' +
  '"groupPublicKey":"15d21ccd7ee42959562fc8aa63224c8851fb3ec85a3faf66040d380fb9738673","maxSigners":3,"minSigners":2,"scheme":"frost-ed25519",' +
  '"type":"wr.public-key-package","verifyingShares":{' +
  '"0100000000000000000000000000000000000000000000000000000000000000":"fc2c9b8e335c132d9ebe0403c9317aac480bbbf8cbdb1bc3730bb68eb60dadf9",' +
  '"0200000000000000000000000000000000000000000000000000000000000000":"f7c3031debffbaf121022409d057e6e1034a532636301d12e26beddff58d05c7",' +
  '"0300000000000000000000000000000000000000000000000000000000000000":"2cff4148a2f965801fb1f25f1d2a4e5df2f75b3a57cd06f30471c2c774419a41"},"version":1}';
const GOLDEN_PUBLIC_KEY_PACKAGE_SHA256 = '7b252137a90d138bda7302dd542a1d2ebcab929fd7a57f3ccbf1fe3099fb9c50';

const clone = (p: PublicKeyPackage): PublicKeyPackage => JSON.parse(JSON.stringify(p)) as PublicKeyPackage;

describe('schemes', () => {
  it('names, RFC 9591 contextStrings, key forms; unknown schemes are INVALID_ARGUMENT', async () => {
    assert.deepEqual([...SCHEME_NAMES], ['frost-ed25519', 'frost-secp256k1', 'frost-secp256k1-tr']);
    assert.equal(getScheme('frost-ed25519').ciphersuite, 'FROST-ED25519-SHA512-v1');
    assert.equal(getScheme('frost-secp256k1').ciphersuite, 'FROST-secp256k1-SHA256-v1');
    assert.equal(getScheme('frost-secp256k1-tr').ciphersuite, 'FROST-secp256k1-SHA256-TR-v1');
    const e = await rejectsWith(() => getScheme('frost-p256'), 'INVALID_ARGUMENT');
    assert.equal(e.param, 'scheme');
    const tr = getScheme('frost-secp256k1-tr');
    const compressed = hex('02f37c34b66ced1fb51c34a90bdae006901f10625cc06c4f64663b0eae87d87b4f');
    assert.deepEqual(tr.publicKeyForVerifier(compressed), compressed.subarray(1));
    assert.deepEqual(tr.publicKeyForVerifier(compressed.subarray(1)), compressed.subarray(1));
    await rejectsWith(() => getScheme('frost-ed25519').publicKeyForVerifier(new Uint8Array(31)), 'INVALID_ARGUMENT');
    for (const name of SCHEME_NAMES) assert.equal(getScheme(name).verify(new Uint8Array(3), new Uint8Array(0), new Uint8Array(2)), false);
  });

  it('identifierFor is noble Identifier.fromNumber (little-endian for Ed25519, big-endian for secp256k1)', async () => {
    assert.equal(identifierFor('frost-ed25519', 7), '07' + '00'.repeat(31));
    assert.equal(identifierFor('frost-secp256k1', 7), '00'.repeat(31) + '07');
    assert.equal(identifierFor('frost-secp256k1-tr', 300), '00'.repeat(30) + '012c');
    await rejectsWith(() => identifierFor('frost-ed25519', 0), 'INVALID_ARGUMENT');
    await rejectsWith(() => identifierFor('frost-ed25519', 1.5), 'INVALID_ARGUMENT');
  });
});

describe('validateKeyPackage names the failed check', () => {
  for (const scheme of SCHEME_NAMES) {
    it(`${scheme}: threshold, encoding, commitments, verifying-shares, vss, identifier, signing-share`, async () => {
      const key = dealerKey(scheme, 2, 3);
      const secret = key.secrets[0]!;
      validateKeyPackage(key.public, secret);
      assert.ok(checkKeyPackage(key.public, secret).every((r) => r.ok));
      const ids = Object.keys(key.public.verifyingShares);
      const other = dealerKey(scheme, 2, 3);
      const cases: [string, (p: PublicKeyPackage) => void][] = [
        ['scheme', (p) => ((p as { scheme: string }).scheme = 'frost-p256')],
        ['threshold', (p) => (p.minSigners = 4)],
        ['threshold', (p) => (p.minSigners = 1)],
        ['encoding', (p) => (p.groupPublicKey = p.groupPublicKey.toUpperCase())],
        ['encoding', (p) => (p.commitments[1] = p.commitments[1]!.slice(2))],
        ['encoding', (p) => (p.verifyingShares['00'.repeat(32)] = p.verifyingShares[ids[0]!]!)], // identifier 0
        ['encoding', (p) => (p.verifyingShares['ff'.repeat(32)] = p.verifyingShares[ids[0]!]!)], // not a canonical scalar
        ['commitments', (p) => (p.groupPublicKey = other.public.groupPublicKey)],
        ['commitments', (p) => p.commitments.push(other.public.commitments[1]!)],
        ['verifying-shares', (p) => delete p.verifyingShares[ids[2]!]],
        ['vss', (p) => (p.verifyingShares[ids[1]!] = other.public.verifyingShares[ids[1]!]!)],
        ['vss', (p) => (p.commitments[1] = other.public.commitments[1]!)],
        ['identifier', (p) => (delete p.verifyingShares[secret.identifier], (p.maxSigners = 2))],
      ];
      for (const [check, mutate] of cases) {
        const p = clone(key.public);
        mutate(p);
        await rejectsWith(() => validateKeyPackage(p, secret), 'SHARE_INVALID', check);
      }
      await rejectsWith(
        () => validateKeyPackage(key.public, { identifier: secret.identifier, signingShare: other.secrets[0]!.signingShare }),
        'SHARE_INVALID',
        'signing-share',
      );
      await rejectsWith(
        () => validateKeyPackage(key.public, { identifier: secret.identifier, signingShare: new Secret(new Uint8Array(31)) }),
        'SHARE_INVALID',
        'encoding',
      );
      const { Fn } = getSchemeSuite(scheme).frost.utils;
      const n = Fn.ORDER;
      const overflow = Fn.isLE ? Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse()) : hex(n.toString(16).padStart(64, '0'));
      await rejectsWith(
        () => validateKeyPackage(key.public, { identifier: secret.identifier, signingShare: new Secret(overflow) }),
        'SHARE_INVALID',
        'encoding',
      );
      // Error messages never carry the share.
      try {
        validateKeyPackage(key.public, { identifier: secret.identifier, signingShare: other.secrets[0]!.signingShare });
      } catch (err) {
        assert.equal(String((err as Error).message).includes(Buffer.from(other.secrets[0]!.signingShare.expose()).toString('hex')), false);
      }
    });
  }

  it('checkKeyPackage reports every check, with the failing ones marked', () => {
    const key = dealerKey('frost-ed25519', 2, 3);
    const p = clone(key.public);
    p.verifyingShares[Object.keys(p.verifyingShares)[1]!] = dealerKey('frost-ed25519', 2, 3).public.verifyingShares[Object.keys(p.verifyingShares)[1]!]!;
    const report = checkKeyPackage(p, key.secrets[0]);
    assert.deepEqual(
      report.map((r) => r.check),
      ['scheme', 'threshold', 'encoding', 'commitments', 'verifying-shares', 'vss', 'identifier', 'signing-share'],
    );
    assert.deepEqual(
      report.filter((r) => !r.ok).map((r) => r.check),
      ['vss'],
    );
  });
});

describe('stored public key package (canonical JSON, version 1)', () => {
  it('golden: the RFC 9591 E.1 dealer key encodes to frozen bytes, and decodes back', () => {
    const { public: pub } = vectorDealerKey('frost-ed25519');
    const enc = encodePublicKeyPackage(pub);
    assert.equal(enc, GOLDEN_PUBLIC_KEY_PACKAGE);
    assert.equal(createHash('sha256').update(enc).digest('hex'), GOLDEN_PUBLIC_KEY_PACKAGE_SHA256);
    assert.deepEqual(decodePublicKeyPackage(GOLDEN_PUBLIC_KEY_PACKAGE), pub);
  });

  for (const scheme of SCHEME_NAMES)
    it(`${scheme}: round trip`, () => {
      const { public: pub } = dealerKey(scheme, 3, 5);
      assert.deepEqual(decodePublicKeyPackage(encodePublicKeyPackage(pub)), pub);
    });

  it('decodes strictly: version first, then canonical form and exact fields, then every check', async () => {
    const g = GOLDEN_PUBLIC_KEY_PACKAGE;
    await rejectsWith(() => decodePublicKeyPackage(g.replace('"version":1', '"version":2')), 'UNSUPPORTED_VERSION');
    await rejectsWith(() => decodePublicKeyPackage(g.replace('"version":1', '"version":"1"')), 'SHARE_INVALID', 'version');
    await rejectsWith(() => decodePublicKeyPackage(g.replace(',"version":1', '')), 'SHARE_INVALID', 'version');
    await rejectsWith(() => decodePublicKeyPackage(g.replace('{"commitments"', '{ "commitments"')), 'SHARE_INVALID', 'canonical');
    await rejectsWith(() => decodePublicKeyPackage(g.replace('"maxSigners":3,"minSigners":2', '"minSigners":2,"maxSigners":3')), 'SHARE_INVALID', 'canonical');
    await rejectsWith(() => decodePublicKeyPackage(g.replace('"maxSigners":3', '"maxSigners":3,"maxSigners":3')), 'SHARE_INVALID', 'json');
    await rejectsWith(() => decodePublicKeyPackage(g.replace('"type":"wr.public-key-package"', '"type":"wr.key-share"')), 'SHARE_INVALID', 'fields');
    await rejectsWith(() => decodePublicKeyPackage(g.replace('"version":1}', '"version":1,"x":1}')), 'SHARE_INVALID', 'fields');
    await rejectsWith(() => decodePublicKeyPackage(g.replace('"groupPublicKey"', '"extra":0,"groupPublicKey"')), 'SHARE_INVALID', 'fields');
    await rejectsWith(() => decodePublicKeyPackage(g.replace('"maxSigners":3', '"maxSigners":3.0')), 'SHARE_INVALID', 'json');
    await rejectsWith(() => decodePublicKeyPackage(g.replace('"maxSigners":3', '"maxSigners":4')), 'SHARE_INVALID', 'verifying-shares');
    await rejectsWith(() => decodePublicKeyPackage(g.replace('fc2c9b8e', 'fc2c9b8f')), 'SHARE_INVALID');
  });
});

describe('canonical JSON', () => {
  it('sorts keys, has no whitespace, holds integers only; the parser refuses duplicates, fractions and deep nesting', () => {
    assert.equal(canonicalJson({ b: [1, 'x', null, true], a: { d: -0, c: '\u0001"é' } }), '{"a":{"c":"\\u0001\\"é","d":0},"b":[1,"x",null,true]}');
    assert.throws(() => canonicalJson({ a: 1.5 }), TypeError);
    assert.throws(() => canonicalJson({ a: undefined }), TypeError);
    assert.deepEqual(parseJsonStrict('{"a":[1,{"b":"\\u00e9"}]}'), { a: [1, { b: 'é' }] });
    for (const bad of [
      '{"a":1,"a":2}',
      '{"a":1e3}',
      '{"a":01}',
      '[1,]',
      '{"a":"\u0001"}',
      '"\\x"',
      '1 2',
      '['.repeat(40) + ']'.repeat(40),
      '{"a":9007199254740993}',
    ])
      assert.throws(() => parseJsonStrict(bad), `should refuse ${JSON.stringify(bad)}`);
    const proto = parseJsonStrict('{"__proto__":{"polluted":1}}') as Record<string, unknown>;
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(canonicalJson(proto), '{"__proto__":{"polluted":1}}');
  });
});
