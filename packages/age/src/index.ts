// @wr/age: age (age-encryption.org/v1) files for wr, on age-encryption
// (typage) extended through its Recipient and Identity interfaces.
//
// - wrap / wrapWithPassphrase / unwrap: armored files out, armored or binary
//   in; X25519, ML-KEM-768 + X25519 hybrid, scrypt. unwrap returns only a
//   fully authenticated plaintext (there is deliberately no streaming path).
// - Keys parsed strictly; failures are WrErrors with stable codes
//   (UnwrapError for decryption, with the C2SP test-kit kind of failure).
// - X25519 and scrypt run on node:crypto (fast X25519, scrypt off the event loop).
export { wrap, wrapWithPassphrase, MAX_RECIPIENTS } from './wrap.js';
export { unwrap, type UnwrapKeys } from './unwrap.js';
export { UnwrapError, type UnwrapFailure } from './errors.js';
export { parseRecipient, recipientKind, type ParsedRecipient, type RecipientKind } from './recipients.js';
export { generateIdentity, parseIdentity, recipientOf, type AgeIdentity, type GeneratedIdentity } from './identities.js';
export { parseIdentityFile, formatIdentityFile, openIdentityFile, type OpenedIdentityFile } from './identity-file.js';
export { isAgeFile } from './armor.js';
export { X25519Identity, X25519Recipient } from './x25519.js';
export { DEFAULT_SCRYPT_LOG_N, MAX_SCRYPT_LOG_N } from './scrypt.js';
