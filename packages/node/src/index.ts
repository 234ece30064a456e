export { buildNode, startNode, type RunningNode } from './server.js';
export type { NodeConfig } from './config.js';
export { nodeFiles, provisionNode, type ProvisionOptions } from './provision.js';
