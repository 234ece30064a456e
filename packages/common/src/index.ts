export * from './errors.js';
export { Secret } from './secret.js';
export { toHex, fromHex, hexBytes, isHex, equalBytes, utf8 } from './bytes.js';
export { randomId, newKeyId, newRequestId, newSessionId } from './ids.js';
export { SEED_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, seedOf, publicKeyOfSeed, signRaw, verifyRaw } from './ed25519.js';
export { canonicalJson, parseJsonStrict, JsonSyntaxError, type JsonValue } from './canonical-json.js';
export { SCHEME_NAMES, type SchemeName } from './schemes.js';
