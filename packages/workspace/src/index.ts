export { buildWorkspace, startWorkspace, type RunningWorkspace } from './server.js';
export type { WorkspaceConfig, NodeEndpoint } from './config.js';
export { PG_MIGRATIONS } from './postgres-store.js';
