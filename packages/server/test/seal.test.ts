/**
 * The sealed-value format, frozen: version byte 0x01 || nonce (12) || AES-256-GCM
 * ciphertext || tag (16), under HKDF-SHA256(master key, salt empty, info
 * "wr seal v1 <purpose>"). Sealed values live in databases for years: a change
 * here must add a version, not alter this one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, hkdfSync } from 'node:crypto';
import { Secret } from '@wr/common';
import { Sealer } from '../src/index.js';

const MASTER_KEY = Uint8Array.from({ length: 32 }, (_, i) => i); // 00 01 02 ... 1f
const sealer = () => new Sealer(new Secret(MASTER_KEY.slice()), 'golden');

/** Sealed by the code of 2026-12-02; it must open for as long as version 1 is read. */
const FROZEN = '01f342d788068198115c5a571452b31056bb7b2aa9725f7f2334ff413109bc1a1e2b066a8ecb3156cf53b012';

test('a frozen version-1 value opens, and only with its associated data', () => {
  const sealed = Buffer.from(FROZEN, 'hex');
  assert.equal(Buffer.from(sealer().open(sealed, 'golden aad').expose()).toString(), 'wr sealed value');
  assert.throws(() => sealer().open(sealed, 'golden aad '));
  assert.throws(() => new Sealer(new Secret(MASTER_KEY.slice()), 'other purpose').open(sealed, 'golden aad'));
});

test('a fresh seal is the version-1 layout, byte for byte (recomputed here with node:crypto)', () => {
  const plaintext = Buffer.from('wr sealed value');
  const sealed = sealer().seal(plaintext, 'golden aad');
  assert.equal(sealed.length, 1 + 12 + plaintext.length + 16);
  assert.equal(sealed[0], 0x01, 'version byte');
  const nonce = sealed.subarray(1, 13);
  const key = Buffer.from(hkdfSync('sha256', MASTER_KEY, new Uint8Array(0), 'wr seal v1 golden', 32));
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(Buffer.from('golden aad', 'utf8'));
  const expected = Buffer.concat([Buffer.from([0x01]), nonce, c.update(plaintext), c.final(), c.getAuthTag()]);
  assert.equal(sealed.toString('hex'), expected.toString('hex'));
});

test('an unknown version byte or a short value is refused', () => {
  const sealed = Buffer.from(FROZEN, 'hex');
  sealed[0] = 0x02;
  assert.throws(() => sealer().open(sealed, 'golden aad'), /unknown format/);
  assert.throws(() => sealer().open(Buffer.from(FROZEN, 'hex').subarray(0, 28), 'golden aad'), /unknown format/);
});
