/**
 * Domain-separated binary framing for what wr signs and sends between nodes:
 *
 *   UTF-8(domain) || 0x00 || ( u32be(len(field)) || field )*
 *
 * The domain names the message type and its version, so a signature over one
 * kind of message can never be replayed as another; the length prefixes make
 * the field boundaries unambiguous. Unlike JSON, a frame holding a secret is a
 * byte array that can be zeroed after use.
 */
import { utf8 } from '@wr/common';

export function encodeFrame(domain: string, fields: readonly Uint8Array[]): Uint8Array {
  const d = utf8(domain);
  let size = d.length + 1;
  for (const f of fields) size += 4 + f.length;
  const out = new Uint8Array(size);
  out.set(d, 0);
  let at = d.length + 1;
  const view = new DataView(out.buffer);
  for (const f of fields) {
    view.setUint32(at, f.length);
    out.set(f, at + 4);
    at += 4 + f.length;
  }
  return out;
}

/**
 * Splits a frame made by {@link encodeFrame}: the domain must match, exactly `count`
 * fields must be present and nothing may follow. Returns undefined otherwise. The
 * fields are views into `frame`.
 */
export function decodeFrame(domain: string, frame: Uint8Array, count: number): Uint8Array[] | undefined {
  const d = utf8(domain);
  if (frame.length < d.length + 1) return undefined;
  for (let i = 0; i < d.length; i++) if (frame[i] !== d[i]) return undefined;
  if (frame[d.length] !== 0) return undefined;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const fields: Uint8Array[] = [];
  let at = d.length + 1;
  while (fields.length < count) {
    if (at + 4 > frame.length) return undefined;
    const len = view.getUint32(at);
    if (at + 4 + len > frame.length) return undefined;
    fields.push(frame.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return at === frame.length ? fields : undefined;
}

export function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}
