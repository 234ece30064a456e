/** Strict hex for untrusted fields: the checks decide what a malformed value means, so this never throws. */

const LOWERCASE_HEX = /^[0-9a-f]*$/;

/** The bytes of `value` if it is lowercase hex of exactly `length` bytes, else undefined. */
export function hexBytes(value: unknown, length: number): Uint8Array | undefined {
  if (typeof value !== 'string' || value.length !== length * 2 || !LOWERCASE_HEX.test(value)) return undefined;
  return Uint8Array.from(Buffer.from(value, 'hex'));
}
