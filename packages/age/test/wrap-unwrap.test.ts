// wrap / wrapWithPassphrase / unwrap: round trips, input forms, argument
// checks, and every kind of damage classified with its stable code and a
// message free of key material.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import { armor, Encrypter, type Recipient, type Stanza } from 'age-encryption';
import { bech32 } from '@scure/base';

import { Secret, WrError } from '@wr/common';

import { generateIdentity, MAX_RECIPIENTS, parseIdentity, unwrap, UnwrapError, wrap, wrapWithPassphrase, X25519Recipient } from '../src/index.js';
import { assertNoLeak, rejectsWith, utf8 } from './helpers.js';

const A = await generateIdentity();
const B = await generateIdentity();
const C = await generateIdentity();
const P = await generateIdentity('hybrid');
const Q = await generateIdentity('hybrid');
const ALL_IDS = [A, B, C, P, Q].map((g) => g.identity.expose());

const SHARE = utf8('a threshold key share, wrapped');

async function rejectsInvalid(p: Promise<unknown>, param: string): Promise<WrError> {
  const err = await rejectsWith(p, 'INVALID_ARGUMENT', undefined, `param ${param}`);
  assert.equal(err.param, param);
  assert.ok(err.message.startsWith(`${param}: `));
  return err;
}

/** Byte offsets of a binary age file's parts. */
function layout(file: Uint8Array): { versionEnd: number; macLine: number; headerEnd: number } {
  const buf = Buffer.from(file);
  const versionEnd = buf.indexOf('\n');
  const macLine = buf.indexOf('\n---') + 1;
  const headerEnd = buf.indexOf('\n', macLine) + 1;
  return { versionEnd, macLine, headerEnd };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Replaces the base64 character at `at` with another one: still canonical, different bytes. */
function swapBase64(file: Uint8Array, at: number): Uint8Array {
  const out = Uint8Array.from(file);
  const i = B64.indexOf(String.fromCharCode(out[at]!));
  assert.ok(i >= 0, 'not a base64 character');
  out[at] = B64.charCodeAt(i ^ 0x20);
  return out;
}

function flip(file: Uint8Array, at: number, bit = 0): Uint8Array {
  const out = Uint8Array.from(file);
  out[at]! ^= 1 << bit;
  return out;
}

/** A binary file for A and B, made with our recipients, plus the file key (captured for leak checks). */
async function fileWithKey(plaintext = SHARE): Promise<{ file: Uint8Array; fileKey: Uint8Array }> {
  let fileKey = new Uint8Array();
  const capture = (r: Recipient): Recipient => ({
    wrapFileKey(k: Uint8Array): Stanza[] | Promise<Stanza[]> {
      fileKey = Uint8Array.from(k);
      return r.wrapFileKey(k);
    },
  });
  const e = new Encrypter();
  for (const g of [A, B]) e.addRecipient(capture(new X25519Recipient(bech32.decodeToBytes(g.recipient).bytes)));
  return { file: await e.encrypt(plaintext), fileKey };
}

describe('wrap and unwrap: round trips', () => {
  it('X25519: one recipient; armored output that unwraps as string, bytes and binary', async () => {
    const file = await wrap(SHARE, [A.recipient]);
    assert.match(file, /^-----BEGIN AGE ENCRYPTED FILE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END AGE ENCRYPTED FILE-----\n$/);
    assert.deepEqual(await unwrap(file, { identities: [A.identity] }), SHARE);
    assert.deepEqual(await unwrap(utf8(file), { identities: [A.identity.expose()] }), SHARE);
    assert.deepEqual(await unwrap(armor.decode(file), { identities: [parseIdentity(A.identity)] }), SHARE);
    // Armor with CRLF line ends and surrounding whitespace is accepted.
    assert.deepEqual(await unwrap(`\r\n  ${file.replaceAll('\n', '\r\n')}\n\n`, { identities: [A.identity] }), SHARE);
  });

  it('X25519: several recipients; the file opens with each identity', async () => {
    const file = await wrap(SHARE, [A.recipient, B.recipient, C.recipient]);
    const stanzas =
      Buffer.from(armor.decode(file))
        .toString('latin1')
        .match(/^-> X25519 /gm) ?? [];
    assert.equal(stanzas.length, 3);
    for (const g of [A, B, C]) assert.deepEqual(await unwrap(file, { identities: [g.identity] }), SHARE);
    // And with a list where only the last identity matches.
    const other = await generateIdentity();
    assert.deepEqual(await unwrap(file, { identities: [other.identity, P.identity, C.identity] }), SHARE);
  });

  it('hybrid (ML-KEM-768 + X25519): one and several recipients', async () => {
    const one = await wrap(SHARE, [P.recipient]);
    assert.match(Buffer.from(armor.decode(one)).toString('latin1'), /^-> mlkem768x25519 /m);
    assert.deepEqual(await unwrap(one, { identities: [P.identity] }), SHARE);
    const two = await wrap(SHARE, [P.recipient, Q.recipient]);
    for (const g of [P, Q]) assert.deepEqual(await unwrap(two, { identities: [g.identity] }), SHARE);
  });

  it('passphrase (scrypt), with the requested work factor', async () => {
    const file = await wrapWithPassphrase(SHARE, 'correct horse battery staple', { logN: 10 });
    assert.match(Buffer.from(armor.decode(file)).toString('latin1'), /^-> scrypt [A-Za-z0-9+/]{22} 10\n/m);
    assert.deepEqual(await unwrap(file, { passphrases: ['correct horse battery staple'] }), SHARE);
    assert.deepEqual(await unwrap(file, { passphrases: ['wrong', new Secret('correct horse battery staple')] }), SHARE);
    const secretPass = await wrapWithPassphrase(SHARE, new Secret('s3cret'), { logN: 10 });
    assert.deepEqual(await unwrap(secretPass, { identities: [A.identity], passphrases: ['s3cret'] }), SHARE);
  });

  it('payload sizes around the 64 KiB STREAM chunk boundary', async () => {
    for (const n of [0, 1, 65535, 65536, 65537, 2 * 65536, 2 * 65536 + 1]) {
      const plaintext = new Uint8Array(randomBytes(n));
      const file = await wrap(plaintext, [A.recipient]);
      assert.deepEqual(await unwrap(file, { identities: [A.identity] }), plaintext, `size ${n}`);
    }
  });

  it('reuses a parsed identity across files', async () => {
    const id = parseIdentity(A.identity);
    for (let i = 0; i < 3; i++) {
      const pt = utf8(`share ${i}`);
      assert.deepEqual(await unwrap(await wrap(pt, [A.recipient]), { identities: [id] }), pt);
    }
  });
});

describe('wrap: argument checks', () => {
  it('rejects mixing post-quantum and classical recipients, in any order', async () => {
    const err = await rejectsInvalid(wrap(SHARE, [P.recipient, A.recipient]), 'ageRecipient');
    assert.match(err.message, /post-quantum/);
    await rejectsInvalid(wrap(SHARE, [A.recipient, B.recipient, Q.recipient]), 'ageRecipient');
    await rejectsInvalid(wrap(SHARE, [A.recipient, P.recipient], 'escrowRecipients'), 'escrowRecipients');
  });

  it('rejects an empty list, a non-list, duplicates and too many recipients', async () => {
    await rejectsInvalid(wrap(SHARE, []), 'ageRecipient');
    await rejectsInvalid(wrap(SHARE, A.recipient as unknown as string[]), 'ageRecipient');
    await rejectsInvalid(wrap(SHARE, [A.recipient, B.recipient, A.recipient]), 'ageRecipient');
    const many = await Promise.all(Array.from({ length: MAX_RECIPIENTS + 1 }, async () => (await generateIdentity()).recipient));
    await rejectsInvalid(wrap(SHARE, many), 'ageRecipient');
  });

  it('rejects a malformed recipient anywhere in the list, naming the parameter and the entry, not the value', async () => {
    const bad = A.recipient.toUpperCase();
    const err = await rejectsInvalid(wrap(SHARE, [B.recipient, bad]), 'ageRecipient');
    assert.match(err.message, /entry 2/);
    assert.ok(!err.message.includes(bad));
    // An identity pasted as a recipient is refused and not echoed.
    assertNoLeak(await rejectsInvalid(wrap(SHARE, [A.identity.expose()]), 'ageRecipient'), [A.identity.expose()]);
  });

  it('rejects a non-bytes plaintext, and bad passphrase options', async () => {
    await rejectsInvalid(wrap('text' as unknown as Uint8Array, [A.recipient]), 'plaintext');
    await rejectsInvalid(wrapWithPassphrase(SHARE, ''), 'passphrase');
    await rejectsInvalid(wrapWithPassphrase(SHARE, 42 as unknown as string), 'passphrase');
    for (const logN of [0, -1, 21, 30, 10.5, Number.NaN]) await rejectsInvalid(wrapWithPassphrase(SHARE, 'pw', { logN }), 'logN');
  });
});

describe('unwrap: argument checks', () => {
  it('rejects a malformed identity (INVALID_ARGUMENT ageIdentity) before looking at the file', async () => {
    const file = await wrap(SHARE, [A.recipient]);
    for (const bad of [A.identity.expose().toLowerCase(), A.recipient, '', 'AGE-SECRET-KEY-1']) {
      const err = await rejectsInvalid(unwrap(file, { identities: [bad] }), 'ageIdentity');
      assertNoLeak(err, [A.identity.expose()]);
    }
    await rejectsInvalid(unwrap('not even age', { identities: ['nope'] }), 'ageIdentity');
    await rejectsInvalid(unwrap(file, { passphrases: [''] }), 'passphrase');
    await rejectsInvalid(unwrap(42 as unknown as string, { identities: [A.identity] }), 'wrappedKeyShare');
  });
});

describe('unwrap: classified failures', () => {
  it('NO_IDENTITY_MATCH: wrong identity, wrong kind, wrong passphrase, no keys at all', async () => {
    const x = await wrap(SHARE, [A.recipient, B.recipient]);
    const pq = await wrap(SHARE, [P.recipient]);
    const pw = await wrapWithPassphrase(SHARE, 'pw', { logN: 10 });
    const cases: [string, () => Promise<unknown>][] = [
      ['other X25519 identity', () => unwrap(x, { identities: [C.identity] })],
      ['hybrid identity on an X25519 file', () => unwrap(x, { identities: [P.identity] })],
      ['X25519 identity on a hybrid file', () => unwrap(pq, { identities: [A.identity] })],
      ['other hybrid identity', () => unwrap(pq, { identities: [Q.identity] })],
      ['passphrase on an X25519 file', () => unwrap(x, { passphrases: ['pw'] })],
      ['identity on a passphrase file', () => unwrap(pw, { identities: [A.identity] })],
      ['wrong passphrase', () => unwrap(pw, { passphrases: ['pW'] })],
      ['no keys', () => unwrap(x, {})],
    ];
    for (const [label, run] of cases) {
      const err = await rejectsWith(run(), 'NO_IDENTITY_MATCH', 'no match', label);
      assertNoLeak(err, ALL_IDS);
    }
  });

  it('WRAPPED_SHARE_CORRUPT: flipped bits in the header, the MAC and the payload', async () => {
    const { file, fileKey } = await fileWithKey();
    const { versionEnd, macLine, headerEnd } = layout(file);
    const secrets = [...ALL_IDS, fileKey];
    const expectCorrupt = async (label: string, damaged: Uint8Array, failure: 'header' | 'hmac' | 'payload') => {
      assertNoLeak(await rejectsWith(unwrap(damaged, { identities: [A.identity] }), 'WRAPPED_SHARE_CORRUPT', failure, label), secrets);
      assertNoLeak(
        await rejectsWith(unwrap(armor.encode(damaged), { identities: [A.identity] }), 'WRAPPED_SHARE_CORRUPT', failure, `${label} (armored)`),
        secrets,
      );
    };
    assert.deepEqual(await unwrap(file, { identities: [A.identity] }), SHARE);

    await expectCorrupt('version line', flip(file, versionEnd - 1), 'header');
    // B's stanza body: A still recovers the file key, and the MAC catches the change.
    const text = Buffer.from(file).toString('latin1');
    const bBody = text.indexOf('\n', text.indexOf('-> X25519', text.indexOf('-> X25519') + 1)) + 1;
    await expectCorrupt("another recipient's stanza", swapBase64(file, bBody + 5), 'hmac');
    // The MAC itself, re-encoded canonically so that only its value is wrong.
    const mac = Buffer.from(text.slice(macLine + 4, headerEnd - 1), 'base64');
    mac[7]! ^= 0x10;
    const badMac = Buffer.concat([file.subarray(0, macLine + 4), Buffer.from(mac.toString('base64').replace(/=+$/, '')), file.subarray(headerEnd - 1)]);
    await expectCorrupt('header MAC', new Uint8Array(badMac), 'hmac');
    await expectCorrupt('payload nonce', flip(file, headerEnd + 3), 'payload');
    await expectCorrupt('payload ciphertext', flip(file, headerEnd + 16 + 2, 7), 'payload');
    await expectCorrupt('payload tag', flip(file, file.length - 1), 'payload');
  });

  it('a flipped bit in our own stanza reads as "not for us" (age cannot tell it from a foreign file)', async () => {
    const { file } = await fileWithKey();
    const text = Buffer.from(file).toString('latin1');
    const aBody = text.indexOf('\n', text.indexOf('-> X25519')) + 1;
    await rejectsWith(unwrap(swapBase64(file, aBody + 3), { identities: [A.identity] }), 'NO_IDENTITY_MATCH', 'no match');
    // B, whose stanza is intact, sees the tampering through the MAC.
    await rejectsWith(unwrap(swapBase64(file, aBody + 3), { identities: [B.identity] }), 'WRAPPED_SHARE_CORRUPT', 'hmac');
  });

  it('WRAPPED_SHARE_CORRUPT: truncation anywhere', async () => {
    const { file, fileKey } = await fileWithKey(new Uint8Array(randomBytes(70_000)));
    const { macLine, headerEnd } = layout(file);
    const cuts: [number, 'header' | 'payload'][] = [
      [0, 'header'],
      [10, 'header'],
      [macLine + 10, 'header'],
      [headerEnd - 1, 'header'],
      [headerEnd, 'header'],
      [headerEnd + 8, 'header'],
      [headerEnd + 16, 'payload'],
      [headerEnd + 16 + 65536 + 16, 'payload'],
      [headerEnd + 16 + 65536 + 15, 'payload'],
      [file.length - 1, 'payload'],
      [file.length - 17, 'payload'],
    ];
    for (const [at, failure] of cuts) {
      const err = await rejectsWith(unwrap(file.subarray(0, at), { identities: [A.identity] }), 'WRAPPED_SHARE_CORRUPT', failure, `cut at ${at}`);
      assertNoLeak(err, [...ALL_IDS, fileKey]);
    }
  });

  it('WRAPPED_SHARE_CORRUPT: trailing data after the last chunk', async () => {
    for (const size of [10, 65536]) {
      const { file, fileKey } = await fileWithKey(new Uint8Array(randomBytes(size)));
      for (const extra of [Uint8Array.of(0), new Uint8Array(16), new Uint8Array(randomBytes(65536 + 16))]) {
        const err = await rejectsWith(
          unwrap(Buffer.concat([file, extra]), { identities: [A.identity] }),
          'WRAPPED_SHARE_CORRUPT',
          'payload',
          `+${extra.length} after ${size}`,
        );
        assertNoLeak(err, [...ALL_IDS, fileKey]);
      }
    }
  });

  it('WRAPPED_SHARE_CORRUPT: bad armor', async () => {
    const file = await wrap(SHARE, [A.recipient]);
    const lines = file.split('\n');
    const damaged = [
      `${file}garbage\n`,
      `garbage\n${file}`,
      file.replace('-----BEGIN AGE ENCRYPTED FILE-----', '-----BEGIN AGE ENCRYPTED FIL-----'),
      file.replace('\n-----END', '\n\n-----END'),
      file.replace(lines[1]!, lines[1]!.slice(0, 60)),
      file.replace(lines[1]!, `${lines[1]!.slice(0, 10)}é${lines[1]!.slice(11)}`),
      file.replace(lines[1]!, `${lines[1]!.slice(0, 10)} ${lines[1]!.slice(11)}`),
      '',
      'not an age file at all',
    ];
    for (const d of damaged) {
      await rejectsWith(unwrap(d, { identities: [A.identity] }), 'WRAPPED_SHARE_CORRUPT', 'armor', JSON.stringify(d.slice(0, 40)));
      if (d !== '') await rejectsWith(unwrap(utf8(d), { identities: [A.identity] }), 'WRAPPED_SHARE_CORRUPT', 'armor', 'as bytes');
    }
    // Valid armor around a damaged file: a line dropped, a character changed.
    await rejectsWith(unwrap(lines.filter((_, i) => i !== 1).join('\n'), { identities: [A.identity] }), 'WRAPPED_SHARE_CORRUPT', 'header');
    const swapped = file.replace(lines[3]!, lines[3]!.slice(0, 5) + (lines[3]![5] === 'A' ? 'B' : 'A') + lines[3]!.slice(6));
    await rejectsWith(unwrap(swapped, { identities: [A.identity] }), 'WRAPPED_SHARE_CORRUPT');
  });

  it('UnwrapError is a WrError whose message is fixed per kind', async () => {
    const err = await rejectsWith(unwrap('x', { identities: [A.identity] }), 'WRAPPED_SHARE_CORRUPT', 'armor');
    assert.ok(err instanceof UnwrapError && err instanceof WrError);
    assert.equal(err.status, 422);
    assert.equal(err.cause, undefined, 'no library error is attached');
  });
});
