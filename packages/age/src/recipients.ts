// Recipient strings, parsed strictly (C2SP age §"Native X25519 recipients",
// typage's mlkem768x25519 hybrid recipients):
//
//   x25519  age1...     bech32, HRP "age",    32-byte X25519 public key
//   hybrid  age1pq1...  bech32, HRP "age1pq", 1216-byte ML-KEM-768 + X25519 key
//
// Lowercase only, checksum and padding checked, exact decoded length. Errors
// name the parameter and never repeat the input: a secret key pasted into a
// recipient field must not end up in an error message or a log.
import type { Recipient } from 'age-encryption';

import { invalidArgument } from '@wr/common';

import { decodeBech32 } from './encoding.js';
import { X25519Recipient } from './x25519.js';

export type RecipientKind = 'x25519' | 'hybrid';

export interface ParsedRecipient {
  readonly kind: RecipientKind;
  /** The recipient string, as given (it is already canonical). */
  readonly recipient: string;
}

interface RecipientEntry extends ParsedRecipient {
  /** What age-encryption's Encrypter is given: our X25519 recipient, or the hybrid string itself. */
  readonly encrypter: Recipient | string;
}

const SPECS = {
  age: { kind: 'x25519', size: 32, example: 'age1...' },
  age1pq: { kind: 'hybrid', size: 1216, example: 'age1pq1...' },
} as const;

/** Longer than any supported recipient (a hybrid one is 1,959 characters). */
const MAX_LENGTH = 4096;

/**
 * Recipients are public, so parsed ones can be kept: a node encrypting to the
 * same few recipients skips the bech32 decode and key import. Bounded; the
 * oldest entry goes first.
 */
const cache = new Map<string, RecipientEntry>();
const CACHE_SIZE = 256;

function problem(s: unknown): { reason: string } | RecipientEntry {
  if (typeof s !== 'string') return { reason: 'must be a string' };
  if (s.length === 0) return { reason: 'must not be empty' };
  if (s.length > MAX_LENGTH) return { reason: 'is too long to be an age recipient' };
  if (/^age-secret-key-/i.test(s)) {
    return {
      reason: 'is an age identity (a secret key), not a recipient: pass its public key (age1...) instead, and treat the identity as compromised if it was sent',
    };
  }
  if (s !== s.toLowerCase()) return { reason: 'must be lowercase (an age recipient is written age1...)' };
  const decoded = decodeBech32(s, false);
  if (decoded === null) return { reason: 'is not a valid age recipient: bad bech32 encoding or checksum' };
  const spec = Object.prototype.hasOwnProperty.call(SPECS, decoded.hrp) ? SPECS[decoded.hrp as keyof typeof SPECS] : undefined;
  if (spec === undefined) {
    return { reason: 'is not a supported recipient type: use an X25519 recipient (age1...) or a post-quantum hybrid one (age1pq1...)' };
  }
  if (decoded.bytes.length !== spec.size) return { reason: `has the wrong length for a ${spec.example} recipient` };
  let encrypter: Recipient | string = s;
  if (spec.kind === 'x25519') {
    try {
      encrypter = new X25519Recipient(decoded.bytes);
    } catch {
      return { reason: 'is not a usable X25519 public key (a small-order point)' };
    }
  } else if (!isValidHybridKey(decoded.bytes)) {
    return { reason: 'is not a valid ML-KEM-768 + X25519 public key' };
  }
  return { kind: spec.kind, recipient: s, encrypter };
}

/**
 * The hybrid key is an ML-KEM-768 encapsulation key (1184 bytes) followed by an
 * X25519 public key (32 bytes). FIPS 203 §7.2 requires the encapsulation key
 * check: every 12-bit coefficient of the first 1152 bytes is below q = 3329.
 * The X25519 part must not be a small-order point.
 */
function isValidHybridKey(bytes: Uint8Array): boolean {
  const Q = 3329;
  for (let i = 0; i < 1152; i += 3) {
    const b0 = bytes[i]!;
    const b1 = bytes[i + 1]!;
    const b2 = bytes[i + 2]!;
    if ((b0 | ((b1 & 0x0f) << 8)) >= Q || ((b1 >> 4) | (b2 << 4)) >= Q) return false;
  }
  try {
    new X25519Recipient(bytes.subarray(1184));
  } catch {
    return false;
  }
  return true;
}

/** Internal: the parsed recipient with what the Encrypter needs. Throws INVALID_ARGUMENT naming `param`. */
export function recipientEntry(s: unknown, param: string, where = ''): RecipientEntry {
  if (typeof s === 'string') {
    const hit = cache.get(s);
    if (hit !== undefined) return hit;
  }
  const r = problem(s);
  if ('reason' in r) throw invalidArgument(param, `${where}${r.reason}`);
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(r.recipient, r);
  return r;
}

/**
 * Parses an age recipient strictly. Throws WrError INVALID_ARGUMENT (with
 * `param`) for anything but a lowercase, well-formed `age1...` (X25519) or
 * `age1pq1...` (ML-KEM-768 + X25519 hybrid) recipient.
 */
export function parseRecipient(s: string, param = 'ageRecipient'): ParsedRecipient {
  const { kind, recipient } = recipientEntry(s, param);
  return { kind, recipient };
}

/** The kind of a recipient string; throws INVALID_ARGUMENT like parseRecipient. */
export function recipientKind(s: string, param = 'ageRecipient'): RecipientKind {
  return recipientEntry(s, param).kind;
}
