// Strict encodings used by age keys and stanzas.
//
// Bech32 (BIP 173) carries recipients and identities; age uses the original
// checksum (not bech32m). Stanza arguments are base64 without padding
// (RFC 4648 §4), and age requires the canonical encoding (C2SP age §"Header").
// Every decoder here returns null on any deviation; callers turn that into a
// coded error without echoing the input, which may be a secret.
import { bech32 } from '@scure/base';

export interface Bech32Decoded {
  /** The human-readable part, in the case it was written in. */
  readonly hrp: string;
  readonly bytes: Uint8Array;
}

/**
 * Decodes bech32 strictly: valid checksum, one case throughout, canonical
 * 8-to-5 bit padding. `limit` is BIP 173's 90-character cap, which age lifts
 * for post-quantum keys (`false`).
 */
export function decodeBech32(s: string, limit: number | false): Bech32Decoded | null {
  try {
    const { words } = bech32.decode(s, limit);
    // scure lowercases the prefix; keep the original case so callers can
    // insist on the canonical one (lowercase recipients, uppercase identities).
    const hrp = s.slice(0, s.lastIndexOf('1'));
    return { hrp, bytes: bech32.fromWords(words) };
  } catch {
    return null;
  }
}

/** Encodes with the original bech32 checksum; `upper` for identities. */
export function encodeBech32(hrp: string, bytes: Uint8Array, upper = false): string {
  const s = bech32.encode(hrp.toLowerCase(), bech32.toWords(bytes), false);
  return upper ? s.toUpperCase() : s;
}

const BASE64_NOPAD = /^[A-Za-z0-9+/]*$/;

/** Canonical unpadded base64, or null: re-encoding must give back the input. */
export function decodeBase64NoPad(s: string): Uint8Array | null {
  if (!BASE64_NOPAD.test(s) || s.length % 4 === 1) return null;
  const bytes = Buffer.from(s, 'base64');
  if (bytes.toString('base64').replace(/=+$/, '') !== s) return null;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeBase64NoPad(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
