// Interoperability with stock age-encryption (typage), used as the second
// implementation where the age CLI 1.1 cannot be: post-quantum hybrid
// (mlkem768x25519) recipients. Also X25519 and scrypt, whose node:crypto
// implementations here are independent of age-encryption's (WebCrypto or
// noble X25519, noble scrypt).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import { armor, Decrypter, Encrypter, generateHybridIdentity, generateX25519Identity, identityToRecipient } from 'age-encryption';

import { generateIdentity, unwrap, wrap, wrapWithPassphrase } from '../src/index.js';
import { rejectsWith } from './helpers.js';

async function stockDecrypt(file: string, identities: string[], passphrases: string[] = []): Promise<Uint8Array> {
  const d = new Decrypter();
  for (const i of identities) d.addIdentity(i);
  for (const p of passphrases) d.addPassphrase(p);
  return d.decrypt(armor.decode(file));
}

async function stockEncrypt(plaintext: Uint8Array, recipients: string[]): Promise<Uint8Array> {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  return e.encrypt(plaintext);
}

const payload = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

describe('interoperability with stock age-encryption', () => {
  it('hybrid: ours → age-encryption, one and several recipients, keys from either side', async () => {
    const ours = await generateIdentity('hybrid');
    const theirs = await generateHybridIdentity();
    const theirsRecipient = await identityToRecipient(theirs);
    for (const n of [0, 32, 70_000]) {
      const plaintext = payload(n);
      const one = await wrap(plaintext, [ours.recipient]);
      assert.deepEqual(await stockDecrypt(one, [ours.identity.expose()]), plaintext);
      const two = await wrap(plaintext, [ours.recipient, theirsRecipient]);
      assert.deepEqual(await stockDecrypt(two, [ours.identity.expose()]), plaintext);
      assert.deepEqual(await stockDecrypt(two, [theirs]), plaintext);
    }
  });

  it('hybrid: age-encryption → ours, one and several recipients, binary and armored', async () => {
    const ours = await generateIdentity('hybrid');
    const theirs = await generateHybridIdentity();
    for (const n of [0, 32, 70_000]) {
      const plaintext = payload(n);
      const file = await stockEncrypt(plaintext, [ours.recipient, await identityToRecipient(theirs)]);
      assert.deepEqual(await unwrap(file, { identities: [ours.identity] }), plaintext);
      assert.deepEqual(await unwrap(armor.encode(file), { identities: [theirs] }), plaintext);
    }
    const stranger = await generateIdentity('hybrid');
    await rejectsWith(unwrap(await stockEncrypt(payload(8), [ours.recipient]), { identities: [stranger.identity] }), 'NO_IDENTITY_MATCH', 'no match');
  });

  it('X25519: both ways, several recipients', async () => {
    const ours = await generateIdentity();
    const theirs = await generateX25519Identity();
    const theirsRecipient = await identityToRecipient(theirs);
    const plaintext = payload(1000);
    const file = await wrap(plaintext, [ours.recipient, theirsRecipient]);
    assert.deepEqual(await stockDecrypt(file, [theirs]), plaintext);
    assert.deepEqual(await stockDecrypt(file, [ours.identity.expose()]), plaintext);
    const back = await stockEncrypt(plaintext, [theirsRecipient, ours.recipient]);
    assert.deepEqual(await unwrap(back, { identities: [ours.identity] }), plaintext);
    assert.deepEqual(await unwrap(back, { identities: [theirs] }), plaintext);
  });

  it('scrypt: both ways', async () => {
    const plaintext = payload(100);
    const ours = await wrapWithPassphrase(plaintext, 'pass phrase', { logN: 11 });
    assert.deepEqual(await stockDecrypt(ours, [], ['pass phrase']), plaintext);
    const e = new Encrypter();
    e.setPassphrase('pass phrase');
    e.setScryptWorkFactor(11);
    assert.deepEqual(await unwrap(armor.encode(await e.encrypt(plaintext)), { passphrases: ['pass phrase'] }), plaintext);
  });
});
