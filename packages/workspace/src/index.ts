export { buildWorkspace, startWorkspace, type RunningWorkspace } from './server.js';
export type { WorkspaceConfig, NodeEndpoint } from './config.js';
