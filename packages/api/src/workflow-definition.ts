/**
 * A workflow definition is data: steps that each call one component, with
 * every param bound to a workflow input, a constant or an earlier step's
 * output; the edges of the canvas follow from those bindings. A transfer step
 * carries a blob out of band: it waits until the blob is handed in, or passes
 * it on at once when its `passOnIf` binding holds a value.
 *
 * Approvals are no step kind of their own: a component step whose component
 * the network's policy holds for approvals (EXPORT_KEY_SHARE, say) becomes a
 * REQUEST_APPROVAL under the step's idempotency key, and the run waits at that
 * step (with the approval request's id) until the admins approve; the last
 * approval runs the call, and resuming the run takes its result and goes on.
 *
 * An input marked `secret` (an age identity, a passphrase) is never sent to
 * the workspace's run record: the client that drives the run keeps it, and
 * hands it in again when it resumes the run.
 */
import { Type as T, type Static } from '@sinclair/typebox';

const strict = { additionalProperties: false } as const;
const Name = T.String({ pattern: '^[a-z][a-zA-Z0-9-]{0,63}$' });

export const Binding = T.Union([T.Object({ const: T.Unknown() }, strict), T.Object({ input: Name }, strict), T.Object({ step: Name, output: Name }, strict)]);
export type Binding = Static<typeof Binding>;

export const WorkflowInput = T.Object(
  {
    type: T.Union([T.Literal('string'), T.Literal('integer'), T.Literal('boolean')]),
    optional: T.Optional(T.Boolean()),
    secret: T.Optional(T.Boolean({ description: 'kept by the client that drives the run: never sent to the run record' })),
    description: T.Optional(T.String({ maxLength: 500 })),
  },
  strict,
);
export type WorkflowInput = Static<typeof WorkflowInput>;

export const ComponentStep = T.Object({ id: Name, component: T.String({ pattern: '^[A-Z][A-Z0-9_]{0,63}$' }), params: T.Record(Name, Binding) }, strict);
export type ComponentStep = Static<typeof ComponentStep>;

/** Its one output is `blob`: what was handed in, or what it passed on. */
export const TransferStep = T.Object(
  { id: Name, transfer: Binding, passOnIf: T.Optional(Binding), description: T.Optional(T.String({ maxLength: 500 })) },
  strict,
);
export type TransferStep = Static<typeof TransferStep>;

export const WorkflowDefinition = T.Object(
  {
    name: Name,
    description: T.Optional(T.String({ maxLength: 1000 })),
    inputs: T.Record(Name, WorkflowInput),
    steps: T.Array(T.Union([ComponentStep, TransferStep]), { minItems: 1, maxItems: 32 }),
    outputs: T.Record(Name, Binding),
  },
  strict,
);
export type WorkflowDefinition = Static<typeof WorkflowDefinition>;
