export * from './frost/index.js';
export * from './envelope/index.js';
export * from './signing.js';
export { ShareInvalidError, type CheckResult } from './errors.js';
