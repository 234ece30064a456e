import { invalidArgument } from './errors.js';

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Strict lowercase hex, even length; `param` names the input in the error. */
export function fromHex(hex: string, param: string, expectedLength?: number): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) {
    throw invalidArgument(param, 'must be lowercase hex with an even number of digits');
  }
  const bytes = new Uint8Array(Buffer.from(hex, 'hex'));
  if (expectedLength !== undefined && bytes.length !== expectedLength) {
    throw invalidArgument(param, `must be ${expectedLength} bytes (${expectedLength * 2} hex digits)`);
  }
  return bytes;
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Constant-time comparison of two byte arrays of public length. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
