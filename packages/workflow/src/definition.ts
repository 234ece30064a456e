/** The definition's schema lives in @wr/api (the workspace validates run records with it); this is the engine's view of it. */
import type { TransferStep, WorkflowDefinition } from '@wr/api';

export { Binding, ComponentStep, TransferStep, WorkflowDefinition, WorkflowInput } from '@wr/api';
export type Step = WorkflowDefinition['steps'][number];

export const isTransfer = (s: Step): s is TransferStep => 'transfer' in s;
