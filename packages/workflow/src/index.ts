export { Binding, ComponentStep, TransferStep, WorkflowDefinition, WorkflowInput, isTransfer, type Step } from './definition.js';
export { validateWorkflow } from './validate.js';
export { checkInputs, recordedInputs } from './inputs.js';
export { keptResult, neededOutputs, runState, type RunState, type StepRecord } from './record.js';
export { runWorkflow, stepIdempotencyKey, StepWaitsForApproval, type RunOptions, type RunResult, type StepEvent, type StepStatus } from './run.js';
export { callThroughApprovals, recordedApprovals, recordedTransfers, type SignedCall } from './client-steps.js';
export { TEMPLATES, type TemplateName, type TemplateTypes } from './templates.js';
