export * from './frost/index.js';
export * from './envelope/index.js';
export { generateSigningKey, signBytes, signingPublicKey, verifyBytes } from './node-keys.js';
export { ShareInvalidError, type CheckResult } from './errors.js';
