import { adminComponents } from './admin.js';
import { approvalComponents } from './approvals.js';
import { backupComponents } from './backups.js';
import { keyComponents } from './keys.js';
import { lifecycleComponents } from './lifecycle.js';
import { nodeComponents } from './nodes.js';
import { repairComponents } from './repair.js';
import { reshareComponents } from './reshare.js';
import { shareComponents } from './shares.js';
import { batchComponents } from './batch.js';
import type { Handlers } from './types.js';
import { workflowComponents } from './workflows.js';

/** One handler per component of @wr/api; the type makes a missing one a compile error. */
export const handlers: Handlers = {
  ...nodeComponents,
  ...keyComponents,
  ...lifecycleComponents,
  ...backupComponents,
  ...reshareComponents,
  ...repairComponents,
  ...shareComponents,
  ...batchComponents,
  ...adminComponents,
  ...workflowComponents,
  // An approved request runs through the other handlers.
  ...approvalComponents(() => handlers),
};
export { abortDkg, retryPendingAborts } from './keys.js';
export { retryPendingRefreshCommits } from './lifecycle.js';
export { retryPendingReshareCommits } from './reshare.js';
export { workflowStepOf } from './workflows.js';
