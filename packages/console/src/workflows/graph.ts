/**
 * A workflow definition as a graph: one box per step, in the definition's order, and one edge per binding that
 * reads an earlier step's output (labelled `output → param`). Nothing here is drawn by hand: the seed's canvas,
 * GET_NODE_RECIPIENT_KEY → GENERATE_AGE_ENCRYPTION → EXPORT_KEY_SHARE → [transfer] → IMPORT_KEY_SHARE, follows from
 * the export-import-key-share template.
 */
import type { WorkflowDefinition } from '@wr/workflow';

export interface StepBox {
  id: string;
  /** The component it calls, or `transfer`. */
  kind: string;
  description?: string | undefined;
}

export interface BindingEdge {
  id: string;
  from: string;
  to: string;
  label: string;
  /** How many boxes it passes over: 0 for neighbours. */
  skips: number;
  /** No data flows on it: it only links neighbours that no binding joins, to show the order the steps run in. */
  order?: boolean;
}

type AnyStep = WorkflowDefinition['steps'][number] & Record<string, unknown>;
type StepBinding = { step: string; output: string };

const isStepBinding = (b: unknown): b is StepBinding =>
  typeof b === 'object' && b !== null && typeof (b as StepBinding).step === 'string' && typeof (b as StepBinding).output === 'string';

/** Each binding of a step to an earlier output, with the param it feeds (none for a step's own field, such as a transfer's blob). */
function bindingsOf(step: AnyStep): [string | undefined, StepBinding][] {
  const found: [string | undefined, StepBinding][] = [];
  if (step.params && typeof step.params === 'object') {
    for (const [param, b] of Object.entries(step.params as Record<string, unknown>)) if (isStepBinding(b)) found.push([param, b]);
  }
  // Steps other than component calls (a transfer, and any kind added later) bind through their own fields.
  for (const [field, b] of Object.entries(step)) if (field !== 'params' && isStepBinding(b)) found.push([undefined, b]);
  return found;
}

export function stepKind(step: AnyStep): string {
  if (typeof step.component === 'string') return step.component;
  return Object.keys(step).find((k) => !['id', 'description', 'passOnIf', 'params'].includes(k)) ?? 'step';
}

export function workflowGraph(def: WorkflowDefinition): { boxes: StepBox[]; edges: BindingEdge[] } {
  const steps = def.steps as AnyStep[];
  const index = new Map(steps.map((s, i) => [s.id, i]));
  const boxes = steps.map((s) => ({ id: s.id, kind: stepKind(s), description: typeof s.description === 'string' ? s.description : undefined }));
  const edges = steps.flatMap((s, i) =>
    bindingsOf(s).map(([param, b]) => ({
      id: `${b.step}.${b.output}->${s.id}.${param ?? ''}`,
      from: b.step,
      to: s.id,
      label: param === undefined || b.output === param ? b.output : `${b.output} → ${param}`,
      skips: Math.max(0, i - (index.get(b.step) ?? i) - 1),
    })),
  );
  // Neighbours no binding joins (the seed's GET_NODE_RECIPIENT_KEY → GENERATE_AGE_ENCRYPTION) still run one after the other.
  const joined = new Set(edges.map((e) => `${e.from}>${e.to}`));
  const order = steps.slice(1).flatMap((s, i) => {
    const prev = steps[i]!.id;
    return joined.has(`${prev}>${s.id}`) ? [] : [{ id: `order:${prev}->${s.id}`, from: prev, to: s.id, label: '', skips: 0, order: true }];
  });
  return { boxes, edges: [...edges, ...order] };
}
