// Encryption: age-encryption's Encrypter with our recipients plugged in,
// output always armored.
import { Encrypter, type Recipient } from 'age-encryption';

import { invalidArgument, WrError, type Secret } from '@wr/common';

import { armorEncode } from './armor.js';
import { passphraseText } from './identities.js';
import { readAll, streamOf } from './io.js';
import { recipientEntry, type RecipientKind } from './recipients.js';
import { DEFAULT_SCRYPT_LOG_N, MAX_SCRYPT_LOG_N, ScryptRecipient } from './scrypt.js';

/** More recipients than any share needs; bounds the work one call can ask for. */
export const MAX_RECIPIENTS = 64;

function checkPlaintext(plaintext: unknown): asserts plaintext is Uint8Array {
  if (!(plaintext instanceof Uint8Array)) throw invalidArgument('plaintext', 'must be a Uint8Array');
}

async function encrypt(plaintext: Uint8Array, recipients: (Recipient | string)[]): Promise<string> {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  let file: Uint8Array;
  try {
    file = await readAll(await e.encrypt(streamOf(plaintext)));
  } catch (err) {
    throw new WrError('INTERNAL', 'age encryption failed unexpectedly', { cause: err });
  }
  return armorEncode(file);
}

/**
 * Encrypts to one or more recipients: all X25519 (`age1...`) or all
 * post-quantum hybrid (`age1pq1...`). Returns an armored age file.
 *
 * Throws WrError INVALID_ARGUMENT naming `param` for an empty list, a
 * malformed or duplicated recipient, more than MAX_RECIPIENTS, or a mix of
 * hybrid and X25519 recipients (anyone holding the X25519 identity could open
 * the file, so it would silently lose its post-quantum protection).
 */
export async function wrap(plaintext: Uint8Array, recipients: readonly string[], param = 'ageRecipient'): Promise<string> {
  checkPlaintext(plaintext);
  if (!Array.isArray(recipients)) throw invalidArgument(param, 'must be a list of age recipients');
  if (recipients.length === 0) throw invalidArgument(param, 'must name at least one recipient');
  if (recipients.length > MAX_RECIPIENTS) throw invalidArgument(param, `must name at most ${MAX_RECIPIENTS} recipients`);
  const seen = new Set<string>();
  const kinds = new Set<RecipientKind>();
  const encrypters: (Recipient | string)[] = [];
  recipients.forEach((r: unknown, i) => {
    const entry = recipientEntry(r, param, recipients.length > 1 ? `entry ${i + 1} ` : '');
    if (seen.has(entry.recipient)) throw invalidArgument(param, `entry ${i + 1} repeats an earlier recipient`);
    seen.add(entry.recipient);
    kinds.add(entry.kind);
    encrypters.push(entry.encrypter);
  });
  if (kinds.size > 1) {
    throw invalidArgument(
      param,
      'mixes post-quantum (age1pq1...) and classical X25519 (age1...) recipients: the file would be only as strong as X25519; use recipients of one kind',
    );
  }
  return encrypt(plaintext, encrypters);
}

/**
 * Encrypts to a passphrase with scrypt (work factor 2^logN, default 18, at
 * most MAX_SCRYPT_LOG_N). Returns an armored age file that `age -d` opens.
 */
export async function wrapWithPassphrase(plaintext: Uint8Array, passphrase: string | Secret<string>, opts?: { logN?: number }): Promise<string> {
  checkPlaintext(plaintext);
  const pass = passphraseText(passphrase, 'passphrase');
  const logN = opts?.logN ?? DEFAULT_SCRYPT_LOG_N;
  if (!Number.isInteger(logN) || logN < 1 || logN > MAX_SCRYPT_LOG_N) {
    throw invalidArgument(
      'logN',
      `must be an integer from 1 to ${MAX_SCRYPT_LOG_N} (18 is the default; lower values make the passphrase easier to brute-force)`,
    );
  }
  return encrypt(plaintext, [new ScryptRecipient(pass, logN)]);
}
