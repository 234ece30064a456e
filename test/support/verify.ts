import { createPublicKey, verify } from 'node:crypto';

/** A standard Ed25519 verifier (node:crypto, RFC 8032): no code of ours. */
export function ed25519Verify(publicKeyHex: string, messageHex: string, signatureHex: string): boolean {
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(publicKeyHex, 'hex')]);
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  return verify(null, Buffer.from(messageHex, 'hex'), key, Buffer.from(signatureHex, 'hex'));
}
