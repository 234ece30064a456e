// The whole C2SP CCTV age test kit (https://c2sp.org/CCTV/age, npm cctv-age),
// run unedited through every decryption path @wr/age exposes: unwrap on
// binary bytes, on an armored string, and on armored bytes (armored vectors as
// given; binary ones armored; armored ones also decoded to binary unless the
// armor itself is what fails).
//
// Each failure must be the kind the vector expects, classified as the Go
// reference's testkit_test.go does (armor / header / HMAC / payload failure,
// no match), and carry the matching wr code: NO_IDENTITY_MATCH for "no
// match", WRAPPED_SHARE_CORRUPT for the rest. `payload` is the SHA-256 of all
// plaintext released: checked on success. On a payload failure unwrap
// releases nothing at all (it returns only a fully authenticated plaintext),
// so there the code and kind are checked. @wr/age has no streaming path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';

import { armor } from 'age-encryption';
import * as cctv from 'cctv-age';

import { unwrap, type UnwrapFailure, type UnwrapKeys } from '../src/index.js';
import { CODE_OF, rejectsWith, sha256hex } from './helpers.js';

const EXPECTED_VECTORS = 143;

const KIND_OF: Record<string, UnwrapFailure | 'success'> = {
  success: 'success',
  'no match': 'no match',
  'HMAC failure': 'hmac',
  'header failure': 'header',
  'payload failure': 'payload',
  'armor failure': 'armor',
};

const KNOWN_KEYS = new Set(['expect', 'payload', 'file key', 'identity', 'passphrase', 'armored', 'compressed', 'comment']);

interface Vector {
  name: string;
  expect: UnwrapFailure | 'success';
  payload: string | undefined;
  keys: UnwrapKeys;
  armored: boolean;
  file: Uint8Array;
}

/** Parses a test file: `key: value` lines, a blank line, then the age file (maybe zlib-compressed). */
function parseVector(name: string, raw: Uint8Array): Vector {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const end = buf.indexOf('\n\n');
  assert.ok(end > 0, `${name}: no header`);
  const meta = new Map<string, string[]>();
  for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
    const sep = line.indexOf(': ');
    assert.ok(sep > 0, `${name}: bad header line`);
    const key = line.slice(0, sep);
    assert.ok(KNOWN_KEYS.has(key), `${name}: unknown header key ${key}`);
    meta.set(key, [...(meta.get(key) ?? []), line.slice(sep + 2)]);
  }
  const one = (k: string): string | undefined => {
    const v = meta.get(k);
    assert.ok(v === undefined || v.length === 1, `${name}: repeated ${k}`);
    return v?.[0];
  };
  const expect = KIND_OF[one('expect') ?? ''];
  assert.ok(expect !== undefined, `${name}: unknown expect ${one('expect')}`);
  const compressed = one('compressed');
  assert.ok(compressed === undefined || compressed === 'zlib', `${name}: unknown compression`);
  const armored = one('armored');
  assert.ok(armored === undefined || armored === 'yes', `${name}: unknown armored value`);
  let file: Uint8Array = new Uint8Array(buf.subarray(end + 2));
  if (compressed === 'zlib') file = new Uint8Array(inflateSync(file));
  return {
    name,
    expect,
    payload: one('payload'),
    keys: { identities: meta.get('identity') ?? [], passphrases: meta.get('passphrase') ?? [] },
    armored: armored === 'yes',
    file,
  };
}

const vectors = Object.entries(cctv as unknown as Record<string, Uint8Array>)
  .filter(([, v]) => v instanceof Uint8Array)
  .map(([name, raw]) => parseVector(name, raw))
  .sort((a, b) => a.name.localeCompare(b.name));

/** One path's outcome, checked against the vector. */
async function checkWhole(v: Vector, label: string, run: () => Promise<Uint8Array>): Promise<void> {
  if (v.expect === 'success') {
    const out = await run();
    assert.equal(sha256hex(out), v.payload, `${v.name} ${label}: payload hash`);
  } else {
    await rejectsWith(run(), CODE_OF[v.expect], v.expect, `${v.name} ${label}`);
  }
}

let checked = 0;
const pathsRun = new Map<string, number>();

describe('C2SP CCTV age test kit', () => {
  it(`holds exactly ${EXPECTED_VECTORS} vectors`, () => {
    assert.equal(vectors.length, EXPECTED_VECTORS);
  });

  for (const v of vectors) {
    it(`${v.name}: ${v.expect}`, async () => {
      // The binary file: as given, or (armored vectors) decoded by
      // age-encryption's reference armor codec where the armor is valid.
      let binary: Uint8Array | undefined = v.file;
      if (v.armored) binary = v.expect === 'armor' ? undefined : armor.decode(Buffer.from(v.file).toString('latin1'));
      // The armored text: as given, or the binary file armored.
      const armoredText = v.armored ? Buffer.from(v.file).toString('latin1') : armor.encode(v.file);
      let paths = 0;

      await checkWhole(v, 'unwrap(armored string)', () => unwrap(armoredText, v.keys));
      const armoredBytes = v.armored ? v.file : new TextEncoder().encode(armoredText);
      await checkWhole(v, 'unwrap(armored bytes)', () => unwrap(armoredBytes, v.keys));
      paths += 2;
      if (binary !== undefined) {
        const bin = binary;
        await checkWhole(v, 'unwrap(binary)', () => unwrap(bin, v.keys));
        paths += 1;
      } else {
        assert.equal(v.expect, 'armor', `${v.name}: only armor failures skip the binary paths`);
      }
      pathsRun.set(v.name, paths);
      checked++;
    });
  }

  it('ran every vector through every path that applies to it', () => {
    assert.equal(checked, EXPECTED_VECTORS, 'some vectors did not run to the end');
    for (const v of vectors) {
      assert.equal(pathsRun.get(v.name), v.armored && v.expect === 'armor' ? 2 : 3, `${v.name}: paths run`);
    }
  });
});
