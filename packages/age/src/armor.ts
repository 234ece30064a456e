// ASCII armor (C2SP age §"ASCII armor"), through age-encryption's strict
// codec, and the rule for telling armored input from binary input.
import { armor } from 'age-encryption';

import { UnwrapError } from './errors.js';

const BINARY_MAGIC = new TextEncoder().encode('age-encryption.org/');

/** The armored form of a binary age file, with a final newline. */
export function armorEncode(file: Uint8Array): string {
  return armor.encode(file);
}

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';

/**
 * Whether `input` looks like an age file (armored, or binary) rather than
 * something else, such as the text of an identity file. A sniff, not a check:
 * {@link toBinary} is what parses it.
 */
export function isAgeFile(input: string | Uint8Array): boolean {
  if (typeof input === 'string') return input.trimStart().startsWith(ARMOR_BEGIN);
  if (startsWith(input, BINARY_MAGIC)) return true;
  return Buffer.from(input.subarray(0, 64)).toString('latin1').trimStart().startsWith(ARMOR_BEGIN);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * The binary age file in `file`. A string is always armored text. Bytes are
 * binary when they begin like a binary age file does, with
 * `age-encryption.org/` (or a prefix of it, such as a truncated or empty
 * file), and armored text otherwise. Throws UnwrapError `armor`
 * for malformed armor: anything but ASCII, missing or extra lines, wrong line
 * lengths, non-canonical base64, or anything but whitespace around it.
 */
export function toBinary(file: string | Uint8Array): Uint8Array {
  let text: string;
  if (typeof file === 'string') {
    text = file;
  } else {
    if (startsWith(file, BINARY_MAGIC) || startsWith(BINARY_MAGIC, file)) return file;
    text = Buffer.from(file.buffer, file.byteOffset, file.byteLength).toString('latin1');
  }
  // With ASCII only, String.prototype.trim strips exactly the whitespace the
  // Go reference tolerates around armor (space, \t, \n, \v, \f, \r).
  if (!isAscii(text)) throw new UnwrapError('armor');
  try {
    return armor.decode(text);
  } catch {
    throw new UnwrapError('armor');
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
