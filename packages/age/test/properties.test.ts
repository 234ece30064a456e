// Properties (fast-check): wrap/unwrap round-trips for any payload and
// recipient set; no damaged file ever decrypts to a different plaintext, and
// every rejection is a coded WrError.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';
import { armor } from 'age-encryption';

import { WrError } from '@wr/common';

import { generateIdentity, parseIdentity, unwrap, wrap, type GeneratedIdentity } from '../src/index.js';
import { assertNoLeak } from './helpers.js';

const people: GeneratedIdentity[] = await Promise.all([0, 1, 2, 3].map(() => generateIdentity()));
const parsed = people.map((p) => parseIdentity(p.identity));
const SECRETS = people.map((p) => p.identity.expose());

/** Unwraps `file` with `who`; returns the plaintext or the error's code, and checks what failed is coded. */
async function attempt(file: string | Uint8Array, who: number): Promise<Uint8Array | string> {
  try {
    return await unwrap(file, { identities: [parsed[who]!] });
  } catch (err) {
    assert.ok(err instanceof WrError, `not a WrError: ${String(err)}`);
    assertNoLeak(err, SECRETS);
    return err.code;
  }
}

describe('properties', () => {
  it('round-trips any payload to any set of recipients; others get NO_IDENTITY_MATCH', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }),
          fc.integer({ min: 65530, max: 65542 }).map((n) => new Uint8Array(n).fill(7)),
        ),
        fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
        async (plaintext, who) => {
          const file = await wrap(
            plaintext,
            who.map((i) => people[i]!.recipient),
          );
          for (let i = 0; i < people.length; i++) {
            const got = await attempt(file, i);
            if (who.includes(i)) assert.deepEqual(got, plaintext);
            else assert.equal(got, 'NO_IDENTITY_MATCH');
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('no single bit flip in a header decrypts (exhaustive), nor anywhere in the payload (sampled)', async () => {
    const plaintext = new Uint8Array(300).fill(1);
    const file = armor.decode(await wrap(plaintext, [people[0]!.recipient, people[1]!.recipient]));
    const headerEnd = Buffer.from(file).indexOf('\n', Buffer.from(file).indexOf('\n---') + 1) + 1;
    const codes = new Set<string>();
    for (let at = 0; at < headerEnd; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = Uint8Array.from(file);
        damaged[at]! ^= 1 << bit;
        const got = await attempt(damaged, at % 2);
        assert.equal(typeof got, 'string', `bit ${bit} of byte ${at} still decrypts`);
        codes.add(got as string);
      }
    }
    assert.deepEqual([...codes].sort(), ['NO_IDENTITY_MATCH', 'WRAPPED_SHARE_CORRUPT']);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: headerEnd, max: file.length - 1 }), fc.integer({ min: 0, max: 7 }), async (at, bit) => {
        const damaged = Uint8Array.from(file);
        damaged[at]! ^= 1 << bit;
        assert.equal(await attempt(damaged, 0), 'WRAPPED_SHARE_CORRUPT');
      }),
      { numRuns: 200 },
    );
  });

  it('a bit flip in armored text either fails with a code or changes only insignificant whitespace', async () => {
    const plaintext = new Uint8Array(200).fill(2);
    const armored = await wrap(plaintext, [people[2]!.recipient]);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: armored.length - 1 }), fc.integer({ min: 0, max: 6 }), async (at, bit) => {
        const damaged = armored.slice(0, at) + String.fromCharCode(armored.charCodeAt(at) ^ (1 << bit)) + armored.slice(at + 1);
        const got = await attempt(damaged, 2);
        if (typeof got === 'string') assert.ok(got === 'WRAPPED_SHARE_CORRUPT' || got === 'NO_IDENTITY_MATCH');
        else {
          assert.deepEqual(got, plaintext);
          assert.equal(damaged.trim(), armored.trim(), 'only surrounding whitespace may change');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary input is rejected with a code, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          fc.string({ maxLength: 600 }),
          fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.concat([Buffer.from('age-encryption.org/v1\n-> X25519 '), b])),
        ),
        async (input) => {
          const got = await attempt(input, 0);
          assert.ok(got === 'WRAPPED_SHARE_CORRUPT' || got === 'NO_IDENTITY_MATCH', String(got));
        },
      ),
      { numRuns: 300 },
    );
  });
});
