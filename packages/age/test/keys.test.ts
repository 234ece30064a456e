// Strict parsing of recipients, identities and identity files; key generation.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';

import { bech32, bech32m } from '@scure/base';
import { identityToRecipient } from 'age-encryption';

import { Secret, WrError } from '@wr/common';

import { generateIdentity, parseIdentity, parseIdentityFile, parseRecipient, recipientKind, recipientOf, type AgeIdentity } from '../src/index.js';

const x = await generateIdentity('x25519');
const pq = await generateIdentity('hybrid');
const X_ID = x.identity.expose();
const PQ_ID = pq.identity.expose();

/** Asserts INVALID_ARGUMENT naming `param`, and that the message does not quote `input`. */
function invalid(fn: () => unknown, param: string, input?: string): WrError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof WrError, `expected a WrError, got ${String(err)}`);
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.equal(err.param, param);
  assert.ok(err.message.startsWith(`${param}: `), 'the message names the parameter');
  if (input !== undefined && input.length > 8) {
    const middle = input.slice(10, 40);
    assert.ok(!err.message.includes(input) && (middle.length < 8 || !err.message.includes(middle)), 'the message quotes the input');
  }
  return err;
}

/** Replaces the last character with another valid bech32 character: a checksum error. */
function breakChecksum(s: string): string {
  const swap = s.at(-1)!.toLowerCase() === 'q' ? 'p' : 'q';
  return s.slice(0, -1) + (s === s.toUpperCase() ? swap.toUpperCase() : swap);
}

/** 32 bytes' worth of bech32 words with the 4 padding bits set: valid checksum, non-canonical data. */
function dirtyPadding(hrp: string, upper = false): string {
  const words = bech32.toWords(randomBytes(32));
  words[words.length - 1] = words[words.length - 1]! | 0x01;
  const s = bech32.encode(hrp.toLowerCase(), words, false);
  return upper ? s.toUpperCase() : s;
}

describe('parseRecipient', () => {
  it('accepts X25519 and hybrid recipients and reports their kind', () => {
    assert.deepEqual(parseRecipient(x.recipient), { kind: 'x25519', recipient: x.recipient });
    assert.deepEqual(parseRecipient(pq.recipient), { kind: 'hybrid', recipient: pq.recipient });
    assert.equal(recipientKind(x.recipient), 'x25519');
    assert.equal(recipientKind(pq.recipient), 'hybrid');
  });

  it('rejects an uppercase or mixed-case recipient', () => {
    invalid(() => parseRecipient(x.recipient.toUpperCase()), 'ageRecipient', x.recipient.toUpperCase());
    invalid(() => parseRecipient(pq.recipient.toUpperCase()), 'ageRecipient');
    invalid(() => parseRecipient('A' + x.recipient.slice(1)), 'ageRecipient');
  });

  it('rejects a wrong checksum, and the bech32m checksum', () => {
    invalid(() => parseRecipient(breakChecksum(x.recipient)), 'ageRecipient', x.recipient.slice(0, -1));
    invalid(() => parseRecipient(breakChecksum(pq.recipient)), 'ageRecipient');
    const m = bech32m.encode('age', bech32m.toWords(randomBytes(32)));
    invalid(() => parseRecipient(m), 'ageRecipient', m);
  });

  it('rejects wrong decoded lengths', () => {
    for (const n of [0, 16, 31, 33, 64]) {
      const s = bech32.encode('age', bech32.toWords(randomBytes(n)), false);
      invalid(() => parseRecipient(s), 'ageRecipient', s);
    }
    for (const n of [1215, 1217]) {
      invalid(() => parseRecipient(bech32.encode('age1pq', bech32.toWords(randomBytes(n)), false)), 'ageRecipient');
    }
  });

  it('rejects non-canonical padding bits', () => {
    invalid(() => parseRecipient(dirtyPadding('age')), 'ageRecipient');
  });

  it('rejects a wrong or unsupported HRP', () => {
    for (const hrp of ['agf', 'ag', 'age2', 'age1tag', 'age1tagpq', 'bc']) {
      const s = bech32.encode(hrp, bech32.toWords(randomBytes(32)), false);
      invalid(() => parseRecipient(s), 'ageRecipient', s);
    }
    // A hybrid-sized key under the X25519 HRP and the other way round.
    invalid(() => parseRecipient(bech32.encode('age', bech32.toWords(randomBytes(1216)), false)), 'ageRecipient');
    invalid(() => parseRecipient(bech32.encode('age1pq', bech32.toWords(randomBytes(32)), false)), 'ageRecipient');
  });

  it('rejects keys that are well encoded but unusable: small-order X25519, out-of-range ML-KEM', () => {
    for (const u of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))]) {
      invalid(() => parseRecipient(bech32.encode('age', bech32.toWords(u), false)), 'ageRecipient');
    }
    // Random bytes fail FIPS 203's encapsulation key check (coefficients >= q).
    invalid(() => parseRecipient(bech32.encode('age1pq', bech32.toWords(new Uint8Array(1216).fill(0xff)), false)), 'ageRecipient');
  });

  it('rejects an identity passed as a recipient, without repeating it', () => {
    const err = invalid(() => parseRecipient(X_ID), 'ageRecipient', X_ID);
    assert.match(err.message, /identity/);
    invalid(() => parseRecipient(PQ_ID), 'ageRecipient', PQ_ID);
  });

  it('rejects junk: whitespace, empty, non-strings, huge input', () => {
    invalid(() => parseRecipient(` ${x.recipient}`), 'ageRecipient');
    invalid(() => parseRecipient(`${x.recipient}\n`), 'ageRecipient');
    invalid(() => parseRecipient(''), 'ageRecipient');
    invalid(() => parseRecipient(42 as unknown as string), 'ageRecipient');
    invalid(() => parseRecipient('age1' + 'q'.repeat(10_000)), 'ageRecipient');
  });

  it('names the parameter it is given', () => {
    invalid(() => parseRecipient('nope', 'escrowRecipient'), 'escrowRecipient');
    invalid(() => recipientKind('nope', 'to'), 'to');
  });
});

describe('parseIdentity', () => {
  it('accepts X25519 and hybrid identities, as strings or Secrets', async () => {
    assert.equal(parseIdentity(X_ID).kind, 'x25519');
    assert.equal(parseIdentity(pq.identity).kind, 'hybrid');
    assert.equal(await parseIdentity(x.identity).recipient(), x.recipient);
    assert.equal(await parseIdentity(PQ_ID).recipient(), pq.recipient);
  });

  it('rejects a lowercase or mixed-case identity', () => {
    invalid(() => parseIdentity(X_ID.toLowerCase()), 'ageIdentity', X_ID.toLowerCase());
    invalid(() => parseIdentity(PQ_ID.toLowerCase()), 'ageIdentity', PQ_ID.toLowerCase());
    // One letter lowered, in the data part (the last letter of the string).
    const mixed = X_ID.replace(/[A-Z](?=[^A-Z]*$)/, (c) => c.toLowerCase());
    assert.notEqual(mixed, X_ID);
    invalid(() => parseIdentity(mixed), 'ageIdentity', X_ID);
  });

  it('rejects a wrong checksum', () => {
    invalid(() => parseIdentity(breakChecksum(X_ID)), 'ageIdentity', X_ID.slice(0, -1));
    invalid(() => parseIdentity(breakChecksum(PQ_ID)), 'ageIdentity', PQ_ID.slice(0, -1));
  });

  it('rejects wrong decoded lengths', () => {
    for (const n of [16, 31, 33]) {
      for (const hrp of ['AGE-SECRET-KEY-', 'AGE-SECRET-KEY-PQ-']) {
        const s = bech32.encode(hrp.toLowerCase(), bech32.toWords(randomBytes(n))).toUpperCase();
        invalid(() => parseIdentity(s), 'ageIdentity', s);
      }
    }
  });

  it('rejects non-canonical padding bits', () => {
    invalid(() => parseIdentity(dirtyPadding('AGE-SECRET-KEY-', true)), 'ageIdentity');
    invalid(() => parseIdentity(dirtyPadding('AGE-SECRET-KEY-PQ-', true)), 'ageIdentity');
  });

  it('rejects a wrong or unsupported HRP', () => {
    for (const hrp of ['AGE-SECRET-KEY-X-', 'AGE-SECRET-KEY', 'AGE-PLUGIN-YUBIKEY-', 'AGE-SECRET-KEY-PQ']) {
      const s = bech32.encode(hrp.toLowerCase(), bech32.toWords(randomBytes(32))).toUpperCase();
      invalid(() => parseIdentity(s), 'ageIdentity', s);
    }
  });

  it('rejects a recipient passed as an identity, and junk', () => {
    assert.match(invalid(() => parseIdentity(x.recipient), 'ageIdentity').message, /recipient/);
    invalid(() => parseIdentity(''), 'ageIdentity');
    invalid(() => parseIdentity(`${X_ID} `), 'ageIdentity', X_ID);
    invalid(() => parseIdentity(7 as unknown as string), 'ageIdentity');
  });

  it('rejects look-alike objects that parseIdentity did not make', () => {
    const fake: AgeIdentity = { kind: 'x25519', recipient: async () => x.recipient };
    invalid(() => parseIdentity(fake), 'ageIdentity');
  });

  it('rejects a destroyed Secret', () => {
    const s = new Secret(X_ID);
    s.destroy();
    invalid(() => parseIdentity(s), 'ageIdentity');
  });

  it('reuses the parse of the same Secret, and of an AgeIdentity', () => {
    const s = new Secret(X_ID);
    const a = parseIdentity(s);
    assert.equal(parseIdentity(s), a);
    assert.equal(parseIdentity(a), a);
  });

  it('keeps the key out of sight: prints redacted, refuses JSON, no enumerable fields', () => {
    const id = parseIdentity(X_ID);
    for (const shown of [String(id), inspect(id, { depth: 10, showHidden: true }), `${id}`]) {
      assert.ok(!shown.includes(X_ID) && !shown.includes(X_ID.slice(16, 40)), 'a printed AgeIdentity shows the key');
    }
    assert.throws(() => JSON.stringify(id), TypeError);
    assert.deepEqual(Object.keys(id), ['kind']);
  });
});

describe('parseIdentityFile', () => {
  it('reads age-keygen style files: comments, blank lines, LF and CRLF', () => {
    const file = `# created: 2024-01-01T00:00:00Z\n# public key: ${x.recipient}\n${X_ID}\n\n# another\n${PQ_ID}\n`;
    for (const text of [file, file.replaceAll('\n', '\r\n'), file.trimEnd()]) {
      const ids = parseIdentityFile(text);
      assert.deepEqual(
        ids.map((s) => s.expose()),
        [X_ID, PQ_ID],
      );
      assert.ok(ids.every((s) => s instanceof Secret));
    }
    assert.equal(parseIdentityFile(new Secret(`${X_ID}\n`))[0]!.expose(), X_ID);
  });

  it('reports a bad line by number, without quoting it', () => {
    const bad = X_ID.toLowerCase();
    const err = invalid(() => parseIdentityFile(`# ok\n${X_ID}\n${bad}\n`), 'ageIdentity', bad);
    assert.match(err.message, /line 3/);
    // Only a trailing CR is forgiven, as in the Go reference; spaces are not.
    assert.match(invalid(() => parseIdentityFile(`  ${X_ID}\n`), 'ageIdentity', X_ID).message, /line 1/);
    assert.match(invalid(() => parseIdentityFile(`${X_ID}\r\r\n`), 'ageIdentity', X_ID).message, /line 1/);
  });

  it('rejects a file with no identity, and names the parameter given', () => {
    invalid(() => parseIdentityFile('# nothing here\n\n'), 'ageIdentity');
    invalid(() => parseIdentityFile('', 'identityFile'), 'identityFile');
  });
});

describe('generateIdentity and recipientOf', () => {
  it('makes X25519 identities whose recipient matches age-encryption', async () => {
    for (let i = 0; i < 20; i++) {
      const g = await generateIdentity();
      const id = g.identity.expose();
      assert.match(id, /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
      assert.match(g.recipient, /^age1[0-9a-z]{58}$/);
      assert.equal(g.recipient, await identityToRecipient(id));
      assert.equal(await recipientOf(id), g.recipient);
      assert.equal(await recipientOf(g.identity), g.recipient);
    }
  });

  it('makes hybrid identities whose recipient matches age-encryption', async () => {
    const g = await generateIdentity('hybrid');
    assert.match(g.identity.expose(), /^AGE-SECRET-KEY-PQ-1[0-9A-Z]+$/);
    assert.ok(g.recipient.startsWith('age1pq1'));
    assert.equal(g.recipient, await identityToRecipient(g.identity.expose()));
    assert.equal(await recipientOf(g.identity), g.recipient);
    assert.equal(parseRecipient(g.recipient).kind, 'hybrid');
  });

  it('returns the identity as a Secret that prints redacted', async () => {
    const g = await generateIdentity();
    assert.ok(g.identity instanceof Secret);
    assert.ok(!String(g.identity).includes('AGE-SECRET-KEY'));
    assert.ok(!inspect(g).includes('AGE-SECRET-KEY'));
    assert.throws(() => JSON.stringify(g));
  });

  it('rejects an unknown kind and a malformed identity', async () => {
    await assert.rejects(generateIdentity('rsa' as 'x25519'), (e: unknown) => e instanceof WrError && e.code === 'INVALID_ARGUMENT' && e.param === 'kind');
    await assert.rejects(
      recipientOf(X_ID.toLowerCase()),
      (e: unknown) => e instanceof WrError && e.code === 'INVALID_ARGUMENT' && e.param === 'ageIdentity' && !e.message.includes(X_ID.toLowerCase()),
    );
  });
});
