export * from './components.js';
export * from './call-auth.js';
export * from './roster.js';
export * from './node-protocol.js';
export * from './receipts.js';
export * from './error-body.js';
export * from './workflow-definition.js';
