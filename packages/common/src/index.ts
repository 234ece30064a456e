export * from './errors.js';
export { Secret } from './secret.js';
export { toHex, fromHex, equalBytes, utf8 } from './bytes.js';
