// Identity strings, parsed strictly, and identities made ready for use:
//
//   x25519  AGE-SECRET-KEY-1...     bech32, HRP "AGE-SECRET-KEY-",    32-byte X25519 scalar
//   hybrid  AGE-SECRET-KEY-PQ-1...  bech32, HRP "AGE-SECRET-KEY-PQ-", 32-byte ML-KEM-768 + X25519 seed
//
// Uppercase only, checksum and padding checked, exact decoded length. An
// AgeIdentity holds the parsed key out of sight (no enumerable field, prints
// redacted) and can be reused across files; a Secret<string> passed to unwrap
// is parsed once and remembered for as long as the Secret itself lives.
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

import { generateHybridIdentity, identityToRecipient, type Identity } from 'age-encryption';

import { invalidArgument, Secret, WrError } from '@wr/common';

import { decodeBech32, encodeBech32 } from './encoding.js';
import type { RecipientKind } from './recipients.js';
import { importPrivateKey, publicKeyOf, X25519Identity } from './x25519.js';

const SPECS = {
  'AGE-SECRET-KEY-': 'x25519',
  'AGE-SECRET-KEY-PQ-': 'hybrid',
} as const satisfies Record<string, RecipientKind>;

const SCALAR_SIZE = 32;

/**
 * A parsed age identity (a private key), ready to decrypt. Get one from
 * parseIdentity and reuse it: X25519 keys are imported once. It prints as
 * redacted, refuses JSON.stringify, and has no enumerable field but `kind`.
 */
export interface AgeIdentity {
  readonly kind: RecipientKind;
  /** The matching recipient (`age1...` or `age1pq1...`); computed once. */
  recipient(): Promise<string>;
}

/** The key material lives here, not on the object. */
const internals = new WeakMap<ParsedIdentity, { decrypter: Identity | Secret<string>; recipient?: Promise<string> }>();

class ParsedIdentity implements AgeIdentity {
  readonly kind: RecipientKind;

  constructor(kind: RecipientKind, decrypter: Identity | Secret<string>) {
    this.kind = kind;
    internals.set(this, { decrypter });
  }

  recipient(): Promise<string> {
    const i = internals.get(this)!;
    i.recipient ??= recipientOfDecrypter(i.decrypter);
    return i.recipient;
  }

  toString(): string {
    return `AgeIdentity(${this.kind}, <redacted>)`;
  }

  toJSON(): never {
    throw new TypeError('an AgeIdentity cannot be serialized to JSON');
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

async function recipientOfDecrypter(d: Identity | Secret<string>): Promise<string> {
  if (d instanceof X25519Identity) return encodeBech32('age', d.publicKey);
  return identityToRecipient((d as Secret<string>).expose());
}

/** Internal: what age-encryption's Decrypter is given for this identity. */
export function decrypterOf(id: AgeIdentity): Identity | string {
  const d = internals.get(id as ParsedIdentity)!.decrypter;
  return d instanceof Secret ? d.expose() : d;
}

function reason(s: unknown): string | { kind: RecipientKind; scalar: Uint8Array } {
  if (typeof s !== 'string') return 'must be a string';
  if (s.length === 0) return 'must not be empty';
  if (/^age1/i.test(s)) return 'is an age recipient (a public key), not an identity: pass the AGE-SECRET-KEY-1... it belongs to';
  if (s !== s.toUpperCase()) return 'must be uppercase (an age identity is written AGE-SECRET-KEY-1...)';
  const decoded = decodeBech32(s, 90);
  if (decoded === null) return 'is not a valid age identity: bad bech32 encoding or checksum';
  const kind = Object.prototype.hasOwnProperty.call(SPECS, decoded.hrp) ? SPECS[decoded.hrp as keyof typeof SPECS] : undefined;
  if (kind === undefined) {
    return 'is not a supported identity type: use an X25519 identity (AGE-SECRET-KEY-1...) or a post-quantum hybrid one (AGE-SECRET-KEY-PQ-1...)';
  }
  if (decoded.bytes.length !== SCALAR_SIZE) {
    decoded.bytes.fill(0);
    return 'has the wrong length for an age identity';
  }
  return { kind, scalar: decoded.bytes };
}

/** Internal: why `s` is not a valid identity (never quoting it), or null. */
export function identityProblem(s: unknown): string | null {
  const r = reason(s);
  if (typeof r === 'string') return r;
  r.scalar.fill(0);
  return null;
}

function expose(s: string | Secret<string>, param: string): string {
  if (s instanceof Secret) {
    if (s.destroyed) throw invalidArgument(param, 'the identity was destroyed before use');
    return s.expose();
  }
  return s;
}

const fromSecret = new WeakMap<Secret<string>, ParsedIdentity>();

/**
 * Parses an age identity strictly. Throws WrError INVALID_ARGUMENT (with
 * `param`) for anything but an uppercase, well-formed `AGE-SECRET-KEY-1...`
 * (X25519) or `AGE-SECRET-KEY-PQ-1...` (hybrid) identity; the message never
 * quotes the input. An AgeIdentity from parseIdentity passes through
 * unchanged; any other object is rejected.
 */
export function parseIdentity(s: string | Secret<string> | AgeIdentity, param = 'ageIdentity'): AgeIdentity {
  if (s instanceof ParsedIdentity) return s;
  if (s instanceof Secret) {
    const hit = fromSecret.get(s);
    if (hit !== undefined && !s.destroyed) return hit;
  }
  if (typeof s !== 'string' && !(s instanceof Secret)) throw invalidArgument(param, 'must be an age identity string');
  const text = expose(s, param);
  const r = reason(text);
  if (typeof r === 'string') throw invalidArgument(param, r);
  let decrypter: Identity | Secret<string>;
  if (r.kind === 'x25519') {
    try {
      decrypter = new X25519Identity(r.scalar);
    } finally {
      r.scalar.fill(0);
    }
  } else {
    r.scalar.fill(0);
    decrypter = new Secret(text);
  }
  const id = new ParsedIdentity(r.kind, decrypter);
  if (s instanceof Secret) fromSecret.set(s, id);
  return id;
}

export interface GeneratedIdentity {
  identity: Secret<string>;
  recipient: string;
}

/** A fresh identity and its recipient: X25519 (default) or ML-KEM-768 + X25519 hybrid. */
export async function generateIdentity(kind: RecipientKind = 'x25519'): Promise<GeneratedIdentity> {
  if (kind === 'x25519') {
    const scalar = randomBytes(SCALAR_SIZE);
    const identity = encodeBech32('AGE-SECRET-KEY-', scalar, true);
    const recipient = encodeBech32('age', publicKeyOf(importPrivateKey(scalar)));
    scalar.fill(0);
    return { identity: new Secret(identity), recipient };
  }
  if (kind === 'hybrid') {
    const identity = await generateHybridIdentity();
    return { identity: new Secret(identity), recipient: await identityToRecipient(identity) };
  }
  throw invalidArgument('kind', "must be 'x25519' or 'hybrid'");
}

/** The recipient of an identity. Throws INVALID_ARGUMENT ('ageIdentity') for a malformed one. */
export async function recipientOf(identity: string | Secret<string> | AgeIdentity): Promise<string> {
  const id = parseIdentity(identity);
  try {
    return await id.recipient();
  } catch (err) {
    if (err instanceof WrError) throw err;
    throw new WrError('INTERNAL', 'could not compute the recipient of the identity');
  }
}

/** Internal: a passphrase as text; INVALID_ARGUMENT for anything but a non-empty string. */
export function passphraseText(p: unknown, param: string): string {
  if (p instanceof Secret) {
    if (p.destroyed) throw invalidArgument(param, 'the passphrase was destroyed before use');
    p = p.expose();
  }
  if (typeof p !== 'string') throw invalidArgument(param, 'must be a string');
  if (p.length === 0) throw invalidArgument(param, 'must not be empty');
  return p;
}
