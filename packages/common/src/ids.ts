import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A random id: `prefix` + `length` lowercase base-36 characters (about 5.17 bits each). */
export function randomId(prefix: string, length: number): string {
  let out = prefix;
  while (out.length < prefix.length + length) {
    for (const b of randomBytes(length * 2)) {
      // Rejection sampling keeps every character uniform: 252 = 7 × 36.
      if (b < 252) out += ALPHABET[b % 36];
      if (out.length === prefix.length + length) break;
    }
  }
  return out;
}

export const newKeyId = (): string => randomId('key_', 26);
export const newRequestId = (): string => randomId('req_', 20);
export const newSessionId = (): string => randomId('ses_', 26);
