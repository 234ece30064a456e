/** The wrapped-key-share envelope: round trips, the frozen format, tamper resistance, a fresh-process signer. */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import fc from 'fast-check';

import { generateIdentity } from '@wr/age';
import { Secret, WrError, toHex, utf8 } from '@wr/common';

import {
  ENVELOPE_SIGNATURE_DOMAIN,
  SCHEME_NAMES,
  aggregateSignature,
  checkEnvelope,
  describeEnvelope,
  generateSigningKey,
  getScheme,
  identifierFor,
  openEnvelope,
  sealEnvelope,
  signBytes,
  signRound1,
  signRound2,
  unwrapShare,
  validateKeyPackage,
  wrapShare,
  type OpenedEnvelope,
  type SchemeName,
  type SigningCommitments,
} from '../src/index.js';
import { canonicalJson } from '@wr/common';
import { dealerKey, hex, makeNodes, rejectsWith, runDkg, vectorDealerKey } from './helpers.js';

const EXPORTED_AT = '2025-01-01T00:00:00Z';

/** Fixed inputs: the RFC 9591 E.1 (Ed25519) dealer key's share 1, node key seed 01..20, fixed time. */
const GOLDEN_ENVELOPE =
  '{"ciphersuite":"frost-ed25519","commitments":["15d21ccd7ee42959562fc8aa63224c8851fb3ec85a3faf66040d380fb9738673",' +
  '"6e4226d69664a098507f8b7de582bdd55f6763e54fdec46a061dc4df8a93160f"],' +
  '"epoch":1,"exportedAt":"2025-01-01T00:00:00Z","exporterKey":"79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",' +
  '"groupPublicKey":"15d21ccd7ee42959562fc8aa63224c8851fb3ec85a3faf66040d380fb9738673",' +
  '"identifier":"0100000000000000000000000000000000000000000000000000000000000000",' +
  '"maxSigners":3,"minSigners":2,' +
  '"signature":"90051553881b7f07015445c2f07fb84672f22e0b5946ee1de54b23da4dad1033c3fa1e69bd38c24e4be6a6a304b521088dc75140478b0d370a035ecb3d378f03",' +
  '"signingShare":"929dcc590407aae7d388761cddb0c0db6f5627aea8e217f4a033f2ec83d93509","source":{"keyId":"key-0001","nodeId":"node-a"},"type":"wr.key-share",' +
  '"verifyingShares":{"0100000000000000000000000000000000000000000000000000000000000000":"fc2c9b8e335c132d9ebe0403c9317aac480bbbf8cbdb1bc3730bb68eb60dadf9",' +
  '"0200000000000000000000000000000000000000000000000000000000000000":"f7c3031debffbaf121022409d057e6e1034a532636301d12e26beddff58d05c7",' +
  '"0300000000000000000000000000000000000000000000000000000000000000":"2cff4148a2f965801fb1f25f1d2a4e5df2f75b3a57cd06f30471c2c774419a41"},"version":1}';
const GOLDEN_ENVELOPE_SHA256 = '721a13e6a62a3dd9940b2a1c1a7ae51fa730b8ef10b75d3d0b6385276351adf5';
const GOLDEN_EXPORTER_SEED = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

function goldenInputs() {
  const key = vectorDealerKey('frost-ed25519');
  return { key, exporter: new Secret(Uint8Array.from(GOLDEN_EXPORTER_SEED)) };
}

function seal(scheme: SchemeName, exporter = generateSigningKey()) {
  const key = dealerKey(scheme, 2, 3);
  const envelope = sealEnvelope(
    { public: key.public, secret: key.secrets[0]!, source: { nodeId: 'node-a', keyId: 'key-1' }, epoch: 0, exportedAt: EXPORTED_AT },
    exporter.secretKey,
  );
  return { key, exporter, envelope };
}

/** Re-signs an envelope document as the spec says: Ed25519 over UTF-8(domain) ‖ 0x00 ‖ canonical JSON without `signature`. */
function resign(doc: Record<string, unknown>, exporter: Secret<Uint8Array>): Uint8Array {
  const { signature: _drop, ...unsigned } = doc;
  void _drop;
  const msg = new Uint8Array([...utf8(ENVELOPE_SIGNATURE_DOMAIN), 0, ...utf8(canonicalJson(unsigned))]);
  return utf8(canonicalJson({ ...unsigned, signature: signBytes(exporter, msg) }));
}

const docOf = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;

/** openEnvelope(bytes) must throw a coded, secret-free WrError; returns its code. */
function refusal(bytes: Uint8Array, shareHex: string): string {
  try {
    openEnvelope(bytes);
  } catch (err) {
    assert.ok(err instanceof WrError, `uncoded error: ${String(err)}`);
    assert.ok(err.code === 'SHARE_INVALID' || err.code === 'UNSUPPORTED_VERSION', `unexpected code ${err.code}`);
    for (let i = 0; i + 16 <= shareHex.length; i += 8) assert.equal(err.message.includes(shareHex.slice(i, i + 16)), false, 'error message leaks the share');
    return err.code;
  }
  return 'accepted';
}

describe('envelope: seal and open', () => {
  for (const scheme of SCHEME_NAMES) {
    it(`${scheme}: round trip keeps every field; describeEnvelope shows the public parts only`, () => {
      const { key, exporter, envelope } = seal(scheme);
      const opened = openEnvelope(envelope.expose(), { trustedExporterKeys: [exporter.publicKey] });
      assert.equal(opened.version, 1);
      assert.deepEqual(opened.public, key.public);
      assert.equal(opened.secret.identifier, key.secrets[0]!.identifier);
      assert.deepEqual(opened.secret.signingShare.expose(), key.secrets[0]!.signingShare.expose());
      assert.deepEqual(opened.source, { nodeId: 'node-a', keyId: 'key-1' });
      assert.equal(opened.epoch, 0);
      assert.equal(opened.exportedAt, EXPORTED_AT);
      assert.equal(opened.exporterKey, exporter.publicKey);
      validateKeyPackage(opened.public, opened.secret);
      const described = describeEnvelope(opened);
      const shareHex = toHex(key.secrets[0]!.signingShare.expose());
      assert.equal(JSON.stringify(described).includes(shareHex), false);
      assert.equal(described.ciphersuite, scheme);
      assert.equal(described.groupPublicKey, key.public.groupPublicKey);
      assert.deepEqual(
        checkEnvelope(envelope.expose()).filter((r) => !r.ok),
        [],
      );
    });
  }

  it('secrets print <redacted> and refuse JSON.stringify: the sealed bytes, the opened share', () => {
    const { envelope, key } = seal('frost-ed25519');
    const shareHex = toHex(key.secrets[0]!.signingShare.expose());
    const opened = openEnvelope(envelope.expose());
    assert.equal(String(envelope), '<redacted>');
    assert.equal(inspect(envelope), 'Secret(<redacted>)');
    assert.throws(() => JSON.stringify(envelope), TypeError);
    assert.throws(() => JSON.stringify(opened), TypeError);
    assert.equal(String(opened.secret.signingShare), '<redacted>');
    assert.equal(inspect(opened, { depth: 10 }).includes(shareHex), false);
    assert.equal(inspect(opened, { depth: 10 }).includes('<redacted>'), true);
    opened.secret.signingShare.destroy();
    assert.throws(() => opened.secret.signingShare.expose());
  });

  it('golden: fixed key (RFC 9591 E.1 share 1), fixed exporter key and time give frozen bytes and hash', () => {
    const { key, exporter } = goldenInputs();
    const env = sealEnvelope(
      { public: key.public, secret: key.secrets[0]!, source: { nodeId: 'node-a', keyId: 'key-0001' }, epoch: 1, exportedAt: EXPORTED_AT },
      exporter,
    );
    assert.equal(Buffer.from(env.expose()).toString('utf8'), GOLDEN_ENVELOPE);
    assert.equal(createHash('sha256').update(env.expose()).digest('hex'), GOLDEN_ENVELOPE_SHA256);
    const opened = openEnvelope(utf8(GOLDEN_ENVELOPE), { trustedExporterKeys: ['79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664'] });
    assert.equal(toHex(opened.secret.signingShare.expose()), key.vector.inputs.participant_shares[0].participant_share);
  });

  it('checks the exporter: trusted keys, a signature by another key', async () => {
    const { envelope, exporter } = seal('frost-secp256k1');
    await rejectsWith(() => openEnvelope(envelope.expose(), { trustedExporterKeys: [generateSigningKey().publicKey] }), 'SHARE_INVALID', 'exporter-trusted');
    openEnvelope(envelope.expose(), { trustedExporterKeys: [generateSigningKey().publicKey, exporter.publicKey] });
    const mallory = generateSigningKey();
    const forged = resign({ ...docOf(envelope.expose()), exporterKey: exporter.publicKey }, mallory.secretKey);
    await rejectsWith(() => openEnvelope(forged), 'SHARE_INVALID', 'signature');
    // Re-signed honestly by Mallory under her own key: valid, but not trusted.
    const hers = resign({ ...docOf(envelope.expose()), exporterKey: mallory.publicKey }, mallory.secretKey);
    assert.equal(openEnvelope(hers).exporterKey, mallory.publicKey);
    await rejectsWith(() => openEnvelope(hers, { trustedExporterKeys: [exporter.publicKey] }), 'SHARE_INVALID', 'exporter-trusted');
  });

  it('a validly signed envelope whose share or verifying shares are wrong is still refused (signing-share, vss, commitments)', async () => {
    const { envelope, exporter } = seal('frost-ed25519');
    const doc = docOf(envelope.expose());
    const other = dealerKey('frost-ed25519', 2, 3);
    const vs = doc['verifyingShares'] as Record<string, string>;
    const ids = Object.keys(vs);
    const cases: [string, Record<string, unknown>][] = [
      ['signing-share', { ...doc, signingShare: toHex(other.secrets[0]!.signingShare.expose()) }],
      ['vss', { ...doc, verifyingShares: { ...vs, [ids[2]!]: other.public.verifyingShares[ids[2]!]! } }],
      ['commitments', { ...doc, groupPublicKey: other.public.groupPublicKey }],
      ['commitments', { ...doc, minSigners: 3 }],
      ['verifying-shares', { ...doc, maxSigners: 4 }],
      ['identifier', { ...doc, identifier: identifierFor('frost-ed25519', 9) }],
      ['threshold', { ...doc, minSigners: 1 }],
      ['ciphersuite', { ...doc, ciphersuite: 'frost-secp256k1-tr' === doc['ciphersuite'] ? 'x' : 'frost-p256' }],
      ['encoding', { ...doc, ciphersuite: 'frost-secp256k1' }],
      ['metadata', { ...doc, exportedAt: '2025-02-30T00:00:00Z' }],
      ['metadata', { ...doc, epoch: -1 }],
      ['metadata', { ...doc, source: { nodeId: '', keyId: 'k' } }],
    ];
    for (const [check, d] of cases) await rejectsWith(() => openEnvelope(resign(d, exporter.secretKey)), 'SHARE_INVALID', check);
    const report = checkEnvelope(resign(cases[0]![1], exporter.secretKey));
    assert.deepEqual(
      report.filter((r) => !r.ok).map((r) => r.check),
      ['signing-share'],
    );
    assert.ok(report.find((r) => r.check === 'signature')!.ok);
  });

  it('the version is checked before the rest: version 2 is UNSUPPORTED_VERSION, signed or not', async () => {
    const { envelope, exporter } = seal('frost-ed25519');
    const doc = docOf(envelope.expose());
    await rejectsWith(() => openEnvelope(resign({ ...doc, version: 2 }, exporter.secretKey)), 'UNSUPPORTED_VERSION');
    await rejectsWith(() => openEnvelope(utf8(canonicalJson({ version: 2, type: 'wr.key-share', something: 'new' }))), 'UNSUPPORTED_VERSION');
    await rejectsWith(() => openEnvelope(utf8(canonicalJson({ ...doc, version: '1' }))), 'SHARE_INVALID', 'version');
    await rejectsWith(() => openEnvelope(new Uint8Array([0xef, 0xbb, 0xbf, ...envelope.expose()])), 'SHARE_INVALID', 'json');
    await rejectsWith(() => openEnvelope(new Uint8Array([...envelope.expose(), 0x0a])), 'SHARE_INVALID', 'canonical');
    await rejectsWith(() => openEnvelope(new Uint8Array([0xff, ...envelope.expose()])), 'SHARE_INVALID', 'utf8');
  });
});

describe('envelope: wrapped with age', () => {
  it(
    'wrapShare / unwrapShare round trip (two X25519 recipients; a post-quantum hybrid ' +
      'recipient); a wrong identity is NO_IDENTITY_MATCH, garbage is WRAPPED_SHARE_CORRUPT',
    async () => {
      const { envelope, key, exporter } = seal('frost-secp256k1-tr');
      const x = await generateIdentity('x25519');
      const y = await generateIdentity('x25519');
      const pq = await generateIdentity('hybrid');
      const wrapped = await wrapShare(envelope, [x.recipient, y.recipient]);
      const wrappedPq = await wrapShare(envelope, [pq.recipient]);
      assert.match(wrapped, /^-----BEGIN AGE ENCRYPTED FILE-----/);
      assert.equal(wrapped.includes(toHex(key.secrets[0]!.signingShare.expose())), false);
      for (const [file, id] of [
        [wrapped, x.identity],
        [wrapped, y.identity],
        [wrappedPq, pq.identity],
      ] as const) {
        const opened = await unwrapShare(file, [id], { trustedExporterKeys: [exporter.publicKey] });
        assert.deepEqual(opened.public, key.public);
      }
      await rejectsWith(async () => unwrapShare(wrapped, [(await generateIdentity()).identity]), 'NO_IDENTITY_MATCH');
      await rejectsWith(
        () => unwrapShare('-----BEGIN AGE ENCRYPTED FILE-----\nnot age\n-----END AGE ENCRYPTED FILE-----\n', [x.identity]),
        'WRAPPED_SHARE_CORRUPT',
      );
    },
  );

  it(
    'a share from a DKG key, wrapped to a fresh identity and unwrapped IN A ' + 'FRESH PROCESS, signs with one other original share under the same group key',
    async () => {
      const scheme = 'frost-ed25519';
      const nodes = await makeNodes(scheme, 3);
      const keys = await runDkg(scheme, 2, nodes);
      const exporter = generateSigningKey();
      const escrow = await generateIdentity();
      const envelope = sealEnvelope(
        { public: keys[2]!.public, secret: keys[2]!.secret, source: { nodeId: 'node-3', keyId: 'k-3' }, epoch: 0, exportedAt: EXPORTED_AT },
        exporter.secretKey,
      );
      const wrapped = await wrapShare(envelope, [escrow.recipient]);
      envelope.destroy();

      const message = utf8('signed after a move');
      const mine = signRound1(scheme, keys[0]!.secret);
      const script = fileURLToPath(new URL('./fixtures/unwrap-and-sign.js', import.meta.url));
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`fixture exited ${code}: ${stderr}`))));
        child.stdin.end(JSON.stringify({ wrapped, identity: escrow.identity.expose(), message: toHex(message), otherCommitments: mine.commitments }));
      });
      const theirs = JSON.parse(out) as { identifier: string; commitments: SigningCommitments; share: string; groupPublicKey: string };
      assert.equal(theirs.identifier, keys[2]!.secret.identifier);
      assert.equal(theirs.groupPublicKey, keys[0]!.public.groupPublicKey);
      assert.match(theirs.share, /^[0-9a-f]{64}$/);
      const list = [mine.commitments, theirs.commitments];
      const myShare = signRound2(scheme, keys[0]!.secret, keys[0]!.public, mine.nonces, list, message);
      const sig = aggregateSignature(scheme, keys[0]!.public, list, message, { [keys[0]!.secret.identifier]: myShare, [theirs.identifier]: theirs.share });
      assert.equal(getScheme(scheme).verify(sig, message, hex(keys[0]!.public.groupPublicKey)), true);
    },
  );
});

describe('envelope: tamper resistance', () => {
  const { envelope, key, exporter } = seal('frost-ed25519');
  const bytes = envelope.expose();
  const text = Buffer.from(bytes).toString('utf8');
  const shareHex = toHex(key.secrets[0]!.signingShare.expose());

  /**
   * Plausible replacements for the character at a position: another character of
   * the same class (hex digit → next hex digit, letter → next letter) and, for
   * everything but hex digits, a structural character too.
   */
  function replacements(c: string, i: number): string[] {
    const hexDigits = '0123456789abcdef';
    const structural = ['"', ',', ':', '{', '}', '[', ']', ' ', 'A', '0', '\\', '-', '1'];
    if (hexDigits.includes(c)) return [hexDigits[(hexDigits.indexOf(c) + 1) % 16]!];
    const out = new Set<string>();
    if (/[a-z]/.test(c)) out.add(c === 'z' ? 'a' : String.fromCharCode(c.charCodeAt(0) + 1));
    else if (/[A-Z]/.test(c)) out.add(c.toLowerCase());
    out.add(structural[i % structural.length]!);
    out.add(structural[(i + 5) % structural.length]!);
    out.delete(c);
    return [...out];
  }

  it(
    'EVERY single-character change to the canonical JSON is refused with SHARE_INVALID or ' +
      'UNSUPPORTED_VERSION (opened directly at every position; re-encrypted and unwrapped for every 24th)',
    async () => {
      const recipient = await generateIdentity();
      let tried = 0;
      const codes = new Map<string, number>();
      for (let i = 0; i < text.length; i++) {
        for (const r of replacements(text[i]!, i)) {
          const mutated = utf8(text.slice(0, i) + r + text.slice(i + 1));
          const code = refusal(mutated, shareHex);
          assert.notEqual(code, 'accepted', `accepted a change at offset ${i} (${JSON.stringify(text[i])} → ${JSON.stringify(r)})`);
          codes.set(code, (codes.get(code) ?? 0) + 1);
          tried++;
          if (i % 24 === 0) {
            const wrapped = await wrapShare(new Secret(mutated), [recipient.recipient]);
            const e = await rejectsWith(() => unwrapShare(wrapped, [recipient.identity]), code);
            assert.equal(e.message.includes(shareHex), false);
          }
        }
      }
      assert.ok(tried >= text.length);
      assert.ok(codes.get('UNSUPPORTED_VERSION')! >= 1, 'the version digit was changed at least once');
    },
  );

  it('property (fast-check): arbitrary byte-level mutations are refused with a documented code, or leave an equivalent envelope', () => {
    const same = (o: OpenedEnvelope) =>
      JSON.stringify(describeEnvelope(o)) === JSON.stringify(describeEnvelope(openEnvelope(bytes))) && toHex(o.secret.signingShare.expose()) === shareHex;
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), byte: fc.constant(0) }),
      fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), byte: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ops) => {
        let b = Array.from(bytes);
        for (const op of ops) {
          const at = b.length ? op.at % b.length : 0;
          if (op.kind === 'set') b[at] = op.byte;
          else if (op.kind === 'insert') b.splice(at, 0, op.byte);
          else if (op.kind === 'delete') b.splice(at, 1);
          else if (op.kind === 'truncate') b = b.slice(0, at);
          else {
            const j = b.length ? op.byte % b.length : 0;
            [b[at], b[j]] = [b[j]!, b[at]!];
          }
        }
        const mutated = Uint8Array.from(b);
        let opened: OpenedEnvelope | undefined;
        try {
          opened = openEnvelope(mutated);
        } catch (err) {
          assert.ok(err instanceof WrError, `uncoded error: ${String(err)}`);
          assert.ok(err.code === 'SHARE_INVALID' || err.code === 'UNSUPPORTED_VERSION');
          assert.equal(err.message.includes(shareHex), false);
          return;
        }
        assert.ok(same(opened), 'a mutated envelope was accepted with different content');
      }),
      { numRuns: 400 },
    );
  });

  it('property (fast-check): JSON-level edits re-signed by the exporter never yield an uncoded error or an inconsistent accepted share', () => {
    const doc = docOf(bytes);
    const fields = Object.keys(doc).filter((k) => k !== 'signature');
    const hexString = fc.array(fc.constantFrom(...'0123456789abcdef'.split('')), { maxLength: 70 }).map((a) => a.join(''));
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.boolean(),
      fc.array(hexString, { maxLength: 4 }),
      fc.dictionary(hexString, hexString, { maxKeys: 4 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...fields), value, (field, v) => {
        const edited = resign({ ...doc, [field]: v }, exporter.secretKey);
        try {
          const o = openEnvelope(edited);
          validateKeyPackage(o.public, o.secret);
        } catch (err) {
          assert.ok(err instanceof WrError, `uncoded error: ${String(err)}`);
          assert.ok(err.code === 'SHARE_INVALID' || err.code === 'UNSUPPORTED_VERSION');
        }
      }),
      { numRuns: 300 },
    );
  });
});
