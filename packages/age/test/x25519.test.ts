// The node:crypto X25519 recipient type: RFC 7748 known answers, the
// age-encryption Identity contract (null for others' stanzas, throw only for
// malformed X25519 ones), and agreement with age-encryption's own X25519.
import assert from 'node:assert/strict';
import { diffieHellman, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import { bech32 } from '@scure/base';
import { Decrypter, Encrypter, Stanza, generateX25519Identity, identityToRecipient, type Identity } from 'age-encryption';

import { X25519Identity, X25519Recipient } from '../src/index.js';
import { MalformedStanzaError } from '../src/errors.js';
import { importPrivateKey, importPublicKey, publicKeyOf } from '../src/x25519.js';
import { text, utf8 } from './helpers.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64').replace(/=+$/, '');

// RFC 7748 §6.1.
const ALICE_PRIVATE = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
const ALICE_PUBLIC = hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
const BOB_PRIVATE = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
const BOB_PUBLIC = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
const SHARED = hex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');

// Points of small order (RFC 7748 §6.1 and the usual blacklist), as u-coordinates.
const SMALL_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map(hex);

function fileKey(): Uint8Array {
  return new Uint8Array(randomBytes(16));
}

describe('X25519 on node:crypto', () => {
  it('matches the RFC 7748 §6.1 known answers (raw JWK import, public key as X25519(k, 9))', () => {
    assert.deepEqual(publicKeyOf(importPrivateKey(ALICE_PRIVATE)), ALICE_PUBLIC);
    assert.deepEqual(publicKeyOf(importPrivateKey(BOB_PRIVATE)), BOB_PUBLIC);
    assert.deepEqual(new X25519Identity(ALICE_PRIVATE).publicKey, ALICE_PUBLIC);
    assert.deepEqual(new Uint8Array(diffieHellman({ privateKey: importPrivateKey(ALICE_PRIVATE), publicKey: importPublicKey(BOB_PUBLIC) })), SHARED);
    assert.deepEqual(new Uint8Array(diffieHellman({ privateKey: importPrivateKey(BOB_PRIVATE), publicKey: importPublicKey(ALICE_PUBLIC) })), SHARED);
  });

  it('wraps to a recipient so that its identity unwraps, with a well-formed stanza', async () => {
    const key = fileKey();
    const stanzas = new X25519Recipient(BOB_PUBLIC).wrapFileKey(key);
    assert.equal(stanzas.length, 1);
    const [s] = stanzas as [Stanza];
    assert.equal(s.args.length, 2);
    assert.equal(s.args[0], 'X25519');
    assert.match(s.args[1]!, /^[A-Za-z0-9+/]{43}$/);
    assert.equal(s.body.length, 32);
    assert.deepEqual(new X25519Identity(BOB_PRIVATE).unwrapFileKey(stanzas), key);
    // A fresh ephemeral share every time.
    assert.notEqual(new X25519Recipient(BOB_PUBLIC).wrapFileKey(key)[0]!.args[1], s.args[1]);
  });

  it('returns null for stanzas that are not X25519, or for another key', () => {
    const id = new X25519Identity(BOB_PRIVATE);
    const other = new X25519Recipient(ALICE_PUBLIC).wrapFileKey(fileKey());
    assert.equal(id.unwrapFileKey(other), null);
    assert.equal(id.unwrapFileKey([]), null);
    const foreign = [
      new Stanza(['scrypt', 'AAAAAAAAAAAAAAAAAAAAAA', '10'], new Uint8Array(32)),
      new Stanza(['x25519', b64(BOB_PUBLIC)], new Uint8Array(32)),
      new Stanza(['mlkem768x25519', 'AAAA'], new Uint8Array(32)),
      new Stanza(['example.com/plugin', 'a', 'b', 'c'], new Uint8Array(5)),
    ];
    assert.equal(id.unwrapFileKey(foreign), null);
  });

  it('skips stanzas for other keys and opens its own', () => {
    const key = fileKey();
    const stanzas = [...new X25519Recipient(ALICE_PUBLIC).wrapFileKey(key), ...new X25519Recipient(BOB_PUBLIC).wrapFileKey(key)];
    assert.deepEqual(new X25519Identity(BOB_PRIVATE).unwrapFileKey(stanzas), key);
    assert.deepEqual(new X25519Identity(ALICE_PRIVATE).unwrapFileKey(stanzas), key);
  });

  it('throws only for malformed X25519 stanzas', () => {
    const id = new X25519Identity(BOB_PRIVATE);
    const [good] = new X25519Recipient(BOB_PUBLIC).wrapFileKey(fileKey()) as [Stanza];
    const share = good.args[1]!;
    const malformed: Stanza[] = [
      new Stanza(['X25519'], good.body),
      new Stanza(['X25519', share, 'extra'], good.body),
      new Stanza(['X25519', share.slice(0, -1)], good.body),
      new Stanza(['X25519', share + 'A'], good.body),
      new Stanza(['X25519', b64(new Uint8Array(33))], good.body),
      new Stanza(['X25519', share.slice(0, -1) + '='], good.body),
      new Stanza(['X25519', share], good.body.subarray(0, 31)),
      new Stanza(['X25519', share], new Uint8Array([...good.body, 0])),
      ...SMALL_ORDER.map((u) => new Stanza(['X25519', b64(u)], good.body)),
    ];
    // Non-canonical base64: the last character of a 32-byte share carries 4 unused bits.
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.indexOf(share.at(-1)!);
    malformed.push(new Stanza(['X25519', share.slice(0, -1) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[last ^ 1]!], good.body));
    for (const s of malformed) assert.throws(() => id.unwrapFileKey([s]), MalformedStanzaError, `${s.args.join(' ')} / ${s.body.length}`);
  });

  it('refuses small-order recipient keys and wrong key sizes', () => {
    for (const u of SMALL_ORDER) assert.throws(() => new X25519Recipient(u), RangeError);
    assert.throws(() => new X25519Recipient(new Uint8Array(31)), RangeError);
    assert.throws(() => new X25519Identity(new Uint8Array(33)), RangeError);
  });

  it('interoperates with age-encryption’s own X25519, both ways', async () => {
    const identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    const scalar = bech32.decodeToBytes(identity).bytes;
    const pub = bech32.decodeToBytes(recipient).bytes;

    // Ours encrypts, age-encryption decrypts.
    const e = new Encrypter();
    e.addRecipient(new X25519Recipient(pub));
    const d = new Decrypter();
    d.addIdentity(identity);
    assert.equal(text(await d.decrypt(await e.encrypt(utf8('ours to theirs')))), 'ours to theirs');

    // age-encryption encrypts, ours decrypts.
    const e2 = new Encrypter();
    e2.addRecipient(recipient);
    const d2 = new Decrypter();
    d2.addIdentity(new X25519Identity(scalar) as Identity);
    assert.equal(text(await d2.decrypt(await e2.encrypt(utf8('theirs to ours')))), 'theirs to ours');
  });
});
