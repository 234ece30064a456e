// Decryption: age-encryption's Decrypter with our identities plugged in, and
// every failure classified without reading the library's error messages for
// the code (see classifyHeader).
//
// Two sentinel identities bracket the caller's: a first one that only notes
// that the header parsed (and enforces the header-wide rule that an scrypt
// stanza stands alone), and a last one that notes that every identity
// declined. The Decrypter tries identities in order, so which sentinels ran
// tells the stages apart.
import { Decrypter, type Identity, type Stanza } from 'age-encryption';

import { invalidArgument, WrError, type Secret } from '@wr/common';

import { toBinary } from './armor.js';
import { decodeBase64NoPad } from './encoding.js';
import { MalformedStanzaError, UnwrapError } from './errors.js';
import { decrypterOf, parseIdentity, passphraseText, type AgeIdentity } from './identities.js';
import { readAll, streamOf } from './io.js';
import { SCRYPT_STANZA, ScryptIdentity } from './scrypt.js';

export interface UnwrapKeys {
  /** `AGE-SECRET-KEY-1...` / `AGE-SECRET-KEY-PQ-1...`, as strings, Secrets, or parsed (reused) identities. */
  identities?: readonly (string | Secret<string> | AgeIdentity)[];
  passphrases?: readonly (string | Secret<string>)[];
}

interface Progress {
  headerParsed: boolean;
  noneMatched: boolean;
  /** An unexpected error inside one of our identities (a bug, not a bad file). */
  internal: unknown;
}

const FILE_PARAM = 'wrappedKeyShare';
const MAC_SIZE = 32;

function prepare(keys: UnwrapKeys): { decrypter: Decrypter; progress: Progress } {
  if (keys === null || typeof keys !== 'object') throw invalidArgument('ageIdentity', 'pass the identities and/or passphrases to try');
  const ids = keys.identities ?? [];
  const passes = keys.passphrases ?? [];
  if (!Array.isArray(ids)) throw invalidArgument('ageIdentity', 'must be a list of age identities');
  if (!Array.isArray(passes)) throw invalidArgument('passphrase', 'must be a list of passphrases');
  // Parse every key before touching the file: a bad key is the caller's error
  // whatever the file holds.
  const identities: (Identity | string)[] = ids.map((i) => decrypterOf(parseIdentity(i, 'ageIdentity')));
  for (const p of passes) identities.push(new ScryptIdentity(passphraseText(p, 'passphrase')));

  const progress: Progress = { headerParsed: false, noneMatched: false, internal: undefined };
  const decrypter = new Decrypter();
  decrypter.addIdentity({
    unwrapFileKey(stanzas: Stanza[]) {
      progress.headerParsed = true;
      // C2SP age: an scrypt stanza must be the only one, whatever identities
      // are on hand (the Go reference checks it before trying any).
      if (stanzas.length > 1 && stanzas.some((s) => s.args[0] === SCRYPT_STANZA)) throw new MalformedStanzaError(SCRYPT_STANZA);
      return null;
    },
  });
  for (const identity of identities) {
    if (typeof identity === 'string') {
      decrypter.addIdentity(identity);
      continue;
    }
    decrypter.addIdentity({
      async unwrapFileKey(stanzas: Stanza[]) {
        try {
          return await identity.unwrapFileKey(stanzas);
        } catch (err) {
          if (!(err instanceof MalformedStanzaError)) progress.internal = err;
          throw err;
        }
      },
    });
  }
  decrypter.addIdentity({
    unwrapFileKey() {
      progress.noneMatched = true;
      return null;
    },
  });
  return { decrypter, progress };
}

/**
 * age-encryption takes any base64 after `--- ` as the MAC and only fails the
 * comparison; the Go reference rejects a MAC that is not exactly 32 bytes in
 * canonical base64 as a malformed header. This finds the MAC line (the first
 * line starting with `---`: stanza lines start with `->` or are base64) and
 * checks its form, so such files count as `header`, as in the C2SP test kit.
 */
function macLineWellFormed(file: Uint8Array): boolean {
  const start = Buffer.from(file.buffer, file.byteOffset, file.byteLength).indexOf('\n---');
  if (start < 0) return false;
  let end = file.indexOf(0x0a, start + 1);
  if (end < 0) end = file.length;
  const line = Buffer.from(file.subarray(start + 1, end)).toString('latin1');
  if (!line.startsWith('--- ')) return false;
  return decodeBase64NoPad(line.slice(4))?.length === MAC_SIZE;
}

/**
 * Maps a failure of the header stage (everything before the first payload
 * byte) to its kind. The code comes from the sentinels alone: header not
 * parsed, or every identity declined (NO_IDENTITY_MATCH), or else an identity
 * found its stanza malformed or the MAC failed. Only that last split, between
 * two WRAPPED_SHARE_CORRUPT kinds, reads the library's message, since
 * age-encryption's own hybrid identity cannot report back.
 */
function classifyHeader(err: unknown, progress: Progress, file: Uint8Array): Error {
  if (progress.internal !== undefined) return new WrError('INTERNAL', 'unexpected error while decrypting the wrapped share', { cause: progress.internal });
  if (!progress.headerParsed) return new UnwrapError('header');
  if (progress.noneMatched) return new UnwrapError('no match');
  const macMismatch = err instanceof Error && /\bHMAC\b/.test(err.message);
  return new UnwrapError(macMismatch && macLineWellFormed(file) ? 'hmac' : 'header');
}

async function decryptFile(file: string | Uint8Array, keys: UnwrapKeys): Promise<Uint8Array> {
  const { decrypter, progress } = prepare(keys);
  const binary = toBinary(file);
  let payload: ReadableStream<Uint8Array>;
  try {
    payload = await decrypter.decrypt(streamOf(binary));
  } catch (err) {
    throw classifyHeader(err, progress, binary);
  }
  try {
    return await readAll(payload);
  } catch {
    throw new UnwrapError('payload');
  }
}

/**
 * Decrypts an age file, armored (a string, or bytes holding the armored text)
 * or binary (bytes starting with `age-encryption.org/`), with identities
 * and/or passphrases. Returns the plaintext only once all of it has
 * authenticated: nothing is released from a file that fails.
 *
 * Throws WrError (an UnwrapError, whose `failure` says which check failed):
 * NO_IDENTITY_MATCH when the header is well formed but no stanza opens with
 * the given keys; WRAPPED_SHARE_CORRUPT for bad armor, a malformed header or
 * stanza, an all-zero X25519 shared secret, a header MAC mismatch, or a
 * truncated, tampered or over-long payload. INVALID_ARGUMENT (param
 * 'ageIdentity' or 'passphrase') for a malformed key. No message carries
 * input or key material.
 */
export async function unwrap(file: string | Uint8Array, keys: UnwrapKeys): Promise<Uint8Array> {
  if (typeof file !== 'string' && !(file instanceof Uint8Array)) throw invalidArgument(FILE_PARAM, 'must be an age file: armored text, or bytes');
  return decryptFile(file, keys);
}
