export { Binding, ComponentStep, TransferStep, WorkflowDefinition, WorkflowInput, isTransfer, type Step } from './definition.js';
export { validateWorkflow } from './validate.js';
export { runWorkflow, stepIdempotencyKey, type RunOptions, type RunResult, type StepEvent, type StepStatus } from './run.js';
export { TEMPLATES } from './templates.js';
