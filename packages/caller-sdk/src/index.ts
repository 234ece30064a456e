export {
  WorkspaceClient,
  WorkspaceCall,
  DEFAULT_BASE_URL,
  signedHeaders,
  type WorkspaceClientOptions,
  type CallOptions,
  type PagedComponent,
} from './client.js';
export { ApiKey, generateApiKey, describeApiKey, type GeneratedApiKey } from './api-key.js';
export { WorkspaceError } from './errors.js';
export {
  ComponentModule,
  COMPONENTS,
  LIMITS,
  SCHEMES,
  SCOPES,
  APPROVABLE,
  type Approvable,
  type ComponentName,
  type ComponentParams,
  type ComponentResult,
  type SchemeName,
  type Scope,
  type WorkflowRun,
  type WorkflowRunSummary,
} from '@wr/api';
export { ERROR_CODES, type ErrorCode } from '@wr/common';
export { Workflows, type WorkflowRunHandle, type WorkflowRunOptions, type WorkflowResumeOptions } from './workflows.js';
export { TEMPLATES, validateWorkflow, type RunResult, type StepEvent, type TemplateName, type TemplateTypes, type WorkflowDefinition } from '@wr/workflow';
