import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Secret } from '@wr/common';

/**
 * Sealing at rest: AES-256-GCM under a key derived from a master key that lives
 * outside the database. The associated data binds a sealed value to its row, so
 * a sealed value moved to another row does not open.
 *
 * Format: version (1 byte, 0x01) || nonce (12) || ciphertext || tag (16).
 */
const VERSION = 1;

export class Sealer {
  #key: Buffer;

  constructor(masterKey: Secret<Uint8Array>, purpose: string) {
    if (masterKey.expose().length !== 32) throw new Error('the master key must be 32 bytes');
    this.#key = Buffer.from(hkdfSync('sha256', masterKey.expose(), new Uint8Array(0), `wr seal v1 ${purpose}`, 32));
  }

  seal(plaintext: Uint8Array, aad: string): Buffer {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#key, nonce);
    c.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([c.update(plaintext), c.final()]);
    return Buffer.concat([Buffer.from([VERSION]), nonce, ct, c.getAuthTag()]);
  }

  open(sealed: Uint8Array, aad: string): Secret<Uint8Array> {
    if (sealed.length < 29 || sealed[0] !== VERSION) throw new Error('sealed value has an unknown format');
    const d = createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(1, 13));
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    const pt = Buffer.concat([d.update(sealed.subarray(13, sealed.length - 16)), d.final()]);
    return new Secret(new Uint8Array(pt.buffer, pt.byteOffset, pt.length));
  }

  toJSON(): never {
    throw new TypeError('a Sealer cannot be serialized');
  }
}
