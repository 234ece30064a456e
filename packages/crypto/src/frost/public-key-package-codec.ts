/**
 * The stored public key package (`wr.public-key-package`, version 1): canonical
 * JSON, parsed strictly and checked in full on the way back in. Frozen by the
 * golden test in test/key-package.test.ts.
 */
import { invalidArgument } from '@wr/common';

import { canonicalJson } from '../internal/canonical-json.js';
import { CheckRun } from '../internal/check-run.js';
import { parseDocument } from '../internal/document.js';
import { copyPublicKeyPackage, type PublicKeyPackage } from './key-package.js';
import type { SchemeName } from './schemes.js';
import { validatePublicKeyPackageCached } from './validation-cache.js';

/** Type tag of the stored public key package document. */
export const PUBLIC_KEY_PACKAGE_TYPE = 'wr.public-key-package';
export const PUBLIC_KEY_PACKAGE_VERSION = 1;

const PUBLIC_FIELDS = {
  version: 'integer',
  type: 'string',
  scheme: 'string',
  minSigners: 'integer',
  maxSigners: 'integer',
  groupPublicKey: 'string',
  commitments: 'string[]',
  verifyingShares: 'string-map',
} as const;

/**
 * Canonical JSON of a public package, for storage:
 * `{"commitments":[…],"groupPublicKey":…,"maxSigners":…,"minSigners":…,"scheme":…,"type":"wr.public-key-package","verifyingShares":{…},"version":1}`.
 * Validates the package first (SHARE_INVALID if it fails a check).
 */
export function encodePublicKeyPackage(pub: PublicKeyPackage): string {
  validatePublicKeyPackageCached(pub);
  return canonicalJson({ version: PUBLIC_KEY_PACKAGE_VERSION, type: PUBLIC_KEY_PACKAGE_TYPE, ...copyPublicKeyPackage(pub) });
}

/** The public key package fields of a parsed document (the stored package, or an envelope, where the scheme is its ciphersuite). */
export function publicKeyPackageOf(doc: Record<string, unknown>, scheme: unknown): PublicKeyPackage {
  return {
    scheme: scheme as SchemeName,
    minSigners: doc['minSigners'] as number,
    maxSigners: doc['maxSigners'] as number,
    groupPublicKey: doc['groupPublicKey'] as string,
    commitments: [...(doc['commitments'] as string[])],
    verifyingShares: { ...(doc['verifyingShares'] as Record<string, string>) },
  };
}

/**
 * Parses what {@link encodePublicKeyPackage} wrote, strictly: canonical form, exact
 * fields, then every package check. UNSUPPORTED_VERSION for another format
 * version, SHARE_INVALID (naming the check) for anything else.
 */
export function decodePublicKeyPackage(json: string): PublicKeyPackage {
  if (typeof json !== 'string') throw invalidArgument('json', 'must be a string');
  const run = new CheckRun(true);
  const doc = parseDocument(run, json, { type: PUBLIC_KEY_PACKAGE_TYPE, version: PUBLIC_KEY_PACKAGE_VERSION, fields: PUBLIC_FIELDS });
  run.throwIfFailed('public key package');
  const pub = publicKeyPackageOf(doc!, doc!['scheme']);
  validatePublicKeyPackageCached(pub);
  return pub;
}
