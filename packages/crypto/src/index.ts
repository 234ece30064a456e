export { Secret } from './secret.js';
export { toHex, fromHex, equalBytes, utf8 } from './bytes.js';
export * as age from './age/index.js';
