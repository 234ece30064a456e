import { invalidArgument } from './errors.js';

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const LOWER_HEX = /^[0-9a-f]*$/;

/** Whether `value` is strict hex: lowercase, an even number of digits, and `bytes` bytes when given. */
export function isHex(value: unknown, bytes?: number): value is string {
  if (typeof value !== 'string' || value.length % 2 !== 0 || !LOWER_HEX.test(value)) return false;
  return bytes === undefined || value.length === bytes * 2;
}

/** The bytes of strict hex `value` ({@link isHex}), or undefined: for parsers that report their own errors. */
export function hexBytes(value: unknown, bytes?: number): Uint8Array | undefined {
  return isHex(value, bytes) ? new Uint8Array(Buffer.from(value, 'hex')) : undefined;
}

/** Strict lowercase hex, even length; `param` names the input in the error. */
export function fromHex(hex: string, param: string, expectedLength?: number): Uint8Array {
  if (!isHex(hex)) {
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
