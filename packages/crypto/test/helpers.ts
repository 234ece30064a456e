/** Shared test helpers: the FROST vector files, a local DKG "network", dealer keys. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { WrError } from '@wr/common';

import { type PublicKeyPackage, type SchemeName, type SecretKeyPackage } from '../src/index.js';
import { publicKeyPackageFromFrost, secretKeyPackageFromFrost } from '../src/frost/key-package.js';
import { getSchemeSuite } from '../src/frost/schemes.js';

/** The vector files, read from the sources (test/vectors, from dist/test): see test/vectors/README.md. */
export const VECTORS_DIR = fileURLToPath(new URL('../../test/vectors/', import.meta.url));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test vectors are JSON read as the test expects it
export function readVector<T = any>(file: string): T {
  const path = VECTORS_DIR + 'frost/' + file;
  if (!existsSync(path)) throw new Error(`FROST test vector missing: ${path} (listed in test/vectors/README.md)`);
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export const VECTOR_FILE: Record<SchemeName, string> = {
  'frost-ed25519': 'ed25519',
  'frost-secp256k1': 'secp256k1',
  'frost-secp256k1-tr': 'secp256k1-tr',
};

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/** A one-shot RNG returning the given byte strings in order (noble's BufferRNG in its own tests). */
export function queueRng(items: Uint8Array[]): (len?: number) => Uint8Array {
  const q = [...items];
  return (len?: number) => {
    const next = q.shift();
    if (!next) throw new Error('RNG exhausted');
    if (len !== undefined && next.length !== len) throw new Error(`RNG asked for ${len} bytes, queued ${next.length}`);
    return next;
  };
}

/**
 * Bytes that noble's randomScalar (mapHashToField: (x mod (n−1)) + 1) turns into
 * exactly `scalar`, so a dealer polynomial can be fixed to the vector's coefficients.
 */
export function scalarRandomness(scheme: SchemeName, scalarHex: string): Uint8Array {
  const Fn = getSchemeSuite(scheme).frost.utils.Fn;
  const n = Fn.fromBytes(hex(scalarHex)) - 1n;
  const len = 48; // getMinHashLength for 253/256-bit orders
  const out = new Uint8Array(len);
  let v = n;
  for (let i = 0; i < len; i++) {
    const idx = Fn.isLE ? i : len - 1 - i;
    out[idx] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** The RFC 9591 Appendix E dealer key of a suite: shares for identifiers 1..MAX, as our packages. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the vector's JSON, as read by readVector
export function vectorDealerKey(scheme: SchemeName): { public: PublicKeyPackage; secrets: SecretKeyPackage[]; vector: any } {
  const s = getSchemeSuite(scheme);
  const t = readVector(`${VECTOR_FILE[scheme]}-vectors.json`);
  const signers = { min: Number(t.config.MIN_PARTICIPANTS), max: Number(t.config.MAX_PARTICIPANTS) };
  const deal = s.frost.trustedDealer(
    signers,
    undefined,
    hex(t.inputs.group_secret_key),
    queueRng(t.inputs.share_polynomial_coefficients.map((c: string) => scalarRandomness(scheme, c))),
  );
  const pub = publicKeyPackageFromFrost(scheme, deal.public);
  const secrets = Object.values(deal.secretShares).map((x) => secretKeyPackageFromFrost(x));
  return { public: pub, secrets, vector: t };
}

/** A random dealer key (for tests that need keys fast). */
export function dealerKey(scheme: SchemeName, min: number, max: number): { public: PublicKeyPackage; secrets: SecretKeyPackage[] } {
  const deal = getSchemeSuite(scheme).frost.trustedDealer({ min, max });
  return { public: publicKeyPackageFromFrost(scheme, deal.public), secrets: Object.values(deal.secretShares).map((x) => secretKeyPackageFromFrost(x)) };
}

export { makeNodes, runDkg, type Node } from './support/dkg.js';

/** Asserts `fn` throws a WrError with `code` (and, for SHARE_INVALID, the named check). */
export async function rejectsWith(fn: () => unknown, code: string, check?: string): Promise<WrError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof WrError, `expected WrError ${code}, got ${caught === undefined ? 'no error' : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (check !== undefined) assert.equal((caught as WrError & { check?: string }).check, check, caught.message);
  return caught;
}

export function pairs<T>(xs: readonly T[]): [T, T][] {
  const out: [T, T][] = [];
  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) out.push([xs[i]!, xs[j]!]);
  return out;
}
