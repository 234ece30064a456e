export * from './errors.js';
export { Secret } from './secret.js';
export { toHex, fromHex, equalBytes, utf8 } from './bytes.js';
export { randomId, newKeyId, newRequestId, newSessionId } from './ids.js';
export { Sealer } from './seal.js';
export { loadMasterKey } from './master-key.js';
