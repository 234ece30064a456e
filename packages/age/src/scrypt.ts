// The age scrypt recipient type (C2SP age §"The scrypt recipient type") on
// node:crypto's asynchronous scrypt, which runs on the libuv thread pool: a
// work factor of 18 takes seconds of CPU and must not block the event loop
// (age-encryption's own scrypt is synchronous JavaScript).
//
//   stanza    -> scrypt <base64(salt, 16 bytes)> <log2(N), decimal>
//   wrap key  =  scrypt(passphrase, "age-encryption.org/v1/scrypt" || salt, N, r = 8, p = 1, 32)
//   body      =  ChaCha20-Poly1305(wrap key, nonce = 0^12, file key)
import { randomBytes, scrypt } from 'node:crypto';

import { Stanza, type Identity, type Recipient } from 'age-encryption';

import { concatBytes, decodeBase64NoPad, encodeBase64NoPad } from './encoding.js';
import { MalformedStanzaError } from './errors.js';
import { openFileKey, sealFileKey } from './x25519.js';

export const SCRYPT_STANZA = 'scrypt';
const LABEL = new TextEncoder().encode('age-encryption.org/v1/scrypt');
const SALT_SIZE = 16;
const BODY_SIZE = 32;
/** The highest work factor accepted, to encrypt or decrypt (age-encryption's limit; `age` encrypts with 18). */
export const MAX_SCRYPT_LOG_N = 20;
export const DEFAULT_SCRYPT_LOG_N = 18;
const LOG_N = /^[1-9][0-9]*$/;

function deriveKey(passphrase: string, salt: Uint8Array, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  const r = 8;
  return new Promise((resolve, reject) => {
    scrypt(passphrase, concatBytes(LABEL, salt), 32, { N, r, p: 1, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export class ScryptRecipient implements Recipient {
  readonly #passphrase: string;
  readonly #logN: number;

  constructor(passphrase: string, logN: number = DEFAULT_SCRYPT_LOG_N) {
    if (!Number.isInteger(logN) || logN < 1 || logN > MAX_SCRYPT_LOG_N) throw new RangeError(`logN must be an integer from 1 to ${MAX_SCRYPT_LOG_N}`);
    this.#passphrase = passphrase;
    this.#logN = logN;
  }

  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    const salt = randomBytes(SALT_SIZE);
    const key = await deriveKey(this.#passphrase, salt, this.#logN);
    const body = sealFileKey(key, fileKey);
    key.fill(0);
    return [new Stanza([SCRYPT_STANZA, encodeBase64NoPad(salt), String(this.#logN)], body)];
  }
}

export class ScryptIdentity implements Identity {
  readonly #passphrase: string;

  constructor(passphrase: string) {
    this.#passphrase = passphrase;
  }

  /**
   * Returns the file key if the scrypt stanza opens with this passphrase, null
   * if there is no scrypt stanza or it does not open. Throws
   * MalformedStanzaError if a scrypt stanza is not alone in the header, has
   * the wrong arguments, a non-canonical or wrong-length salt, a work factor
   * that is not plain decimal or exceeds MAX_SCRYPT_LOG_N, or a wrong-length body.
   */
  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    for (const s of stanzas) {
      if (s.args[0] !== SCRYPT_STANZA) continue;
      if (stanzas.length !== 1) throw new MalformedStanzaError(SCRYPT_STANZA);
      if (s.args.length !== 3) throw new MalformedStanzaError(SCRYPT_STANZA);
      const salt = decodeBase64NoPad(s.args[1]!);
      if (salt === null || salt.length !== SALT_SIZE) throw new MalformedStanzaError(SCRYPT_STANZA);
      const logNText = s.args[2]!;
      if (!LOG_N.test(logNText) || logNText.length > 2) throw new MalformedStanzaError(SCRYPT_STANZA);
      const logN = Number(logNText);
      if (logN > MAX_SCRYPT_LOG_N) throw new MalformedStanzaError(SCRYPT_STANZA);
      if (s.body.length !== BODY_SIZE) throw new MalformedStanzaError(SCRYPT_STANZA);
      const key = await deriveKey(this.#passphrase, salt, logN);
      const fileKey = openFileKey(key, s.body);
      key.fill(0);
      if (fileKey !== null) return fileKey;
    }
    return null;
  }
}
