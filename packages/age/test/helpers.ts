// Shared test helpers (not a test file).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';

import { WrError } from '@wr/common';

import { UnwrapError, type UnwrapFailure } from '../src/index.js';

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

export function sha256hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export const CODE_OF: Record<UnwrapFailure, string> = {
  armor: 'WRAPPED_SHARE_CORRUPT',
  header: 'WRAPPED_SHARE_CORRUPT',
  hmac: 'WRAPPED_SHARE_CORRUPT',
  payload: 'WRAPPED_SHARE_CORRUPT',
  'no match': 'NO_IDENTITY_MATCH',
};

/** Awaits `p`, which must reject with a WrError of `code` (and, if given, UnwrapError `failure`). */
export async function rejectsWith(p: Promise<unknown>, code: string, failure?: UnwrapFailure, label = ''): Promise<WrError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof WrError, `${label}: expected a WrError ${code}, got ${err === undefined ? 'success' : String(err)}`);
  assert.equal(err.code, code, `${label}: code (message: ${err.message})`);
  if (failure !== undefined) {
    assert.ok(err instanceof UnwrapError, `${label}: expected an UnwrapError`);
    assert.equal(err.failure, failure, `${label}: failure kind`);
  }
  return err;
}

/** Every way `secret` could show up in a message: as is, lowercased, hex, base64, base64url. */
export function leakForms(secret: string | Uint8Array): string[] {
  if (typeof secret === 'string') return [secret, secret.toLowerCase(), secret.slice(20, 50)];
  const b = Buffer.from(secret);
  return [b.toString('hex'), b.toString('base64').replace(/=+$/, ''), b.toString('base64url')];
}

/** Asserts that nothing printable about `err` contains any of `secrets`. */
export function assertNoLeak(err: unknown, secrets: (string | Uint8Array)[]): void {
  const surfaces = [String(err), err instanceof Error ? err.message : '', err instanceof Error ? (err.stack ?? '') : '', inspect(err, { depth: 5 })];
  for (const s of secrets) {
    for (const form of leakForms(s)) {
      for (const surface of surfaces) assert.ok(!surface.includes(form), 'an error surface leaks key material');
    }
  }
}
