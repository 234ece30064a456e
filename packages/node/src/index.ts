export { buildNode, startNode, type RunningNode } from './server.js';
export type { NodeConfig } from './config.js';
export { nodeFiles, provisionNode, type ProvisionOptions } from './provision.js';
export { ImportPool, defaultImportWorkers, type OpenedImport } from './workers/import-pool.js';
