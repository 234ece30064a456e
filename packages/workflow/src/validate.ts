/**
 * A definition is checked before anything runs: its shape, then every step in
 * order against the component schemas of @wr/api. A binding must name a
 * declared input or an output of an earlier step (a later one, or the step
 * itself, would be a cycle), and carry a value of the kind the param takes.
 * A secret input may feed a step's params only (never a transfer nor an output,
 * which the run record keeps). Each problem is INVALID_ARGUMENT naming the step.
 */
import { Type as T, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { COMPONENTS, isComponent } from '@wr/api';
import { WrError } from '@wr/common';

import { WorkflowDefinition, isTransfer, type Binding } from './definition.js';

type Kinds = Set<string> | 'any';

/** The JSON kinds a schema admits ('string', 'integer', ...), or 'any'. */
function kindsOf(schema: TSchema | undefined): Kinds {
  if (!schema) return 'any';
  if (Array.isArray(schema['anyOf'])) {
    const all = new Set<string>();
    for (const s of schema['anyOf'] as TSchema[]) {
      const k = kindsOf(s);
      if (k === 'any') return 'any';
      k.forEach((x) => all.add(x));
    }
    return all;
  }
  return typeof schema['type'] === 'string' ? new Set([schema['type'] === 'number' ? 'integer' : (schema['type'] as string)]) : 'any';
}

const fits = (from: Kinds, to: Kinds) => from === 'any' || to === 'any' || [...from].every((k) => to.has(k));
const show = (k: Kinds) => (k === 'any' ? 'anything' : [...k].join(' or '));
const fail = (where: string, message: string) => new WrError('INVALID_ARGUMENT', `${where}: ${message}`, { param: where });

function propertiesOf(schema: TSchema): Record<string, TSchema> {
  return (schema['properties'] ?? {}) as Record<string, TSchema>;
}

/** The definition, checked; throws INVALID_ARGUMENT naming the step (or field) at fault. */
export function validateWorkflow(def: unknown): WorkflowDefinition {
  // Value.Check walks the schema: TypeBox's compiler would build the check with `new Function`, which the web
  // console's Content-Security-Policy forbids, and a definition is checked once a run.
  if (!Value.Check(WorkflowDefinition, def)) {
    const first = Value.Errors(WorkflowDefinition, def).First();
    throw fail(`definition${first?.path.replace(/\//g, '.') ?? ''}`, first?.message ?? 'is not a workflow definition');
  }
  const outputsOf = new Map<string, Record<string, TSchema>>();

  const kindOf = (b: Binding, where: string): Kinds => {
    if ('const' in b) return new Set([Number.isInteger(b.const) ? 'integer' : Array.isArray(b.const) ? 'array' : b.const === null ? 'null' : typeof b.const]);
    if ('input' in b) {
      const input = def.inputs[b.input];
      if (!input) throw fail(where, `input ${b.input} is not declared in inputs`);
      if (input.secret && !where.includes('.params.'))
        throw fail(where, `input ${b.input} is secret: only a step's params may use it (the run record never holds it)`);
      return new Set([input.type]);
    }
    const outputs = outputsOf.get(b.step);
    if (!outputs) {
      const later = def.steps.some((s) => s.id === b.step);
      throw fail(where, later ? `step ${b.step} does not run before this one: a binding may only use earlier steps (no cycles)` : `no step ${b.step}`);
    }
    if (!(b.output in outputs)) throw fail(where, `step ${b.step} has no output ${b.output} (it has ${Object.keys(outputs).join(', ')})`);
    return kindsOf(outputs[b.output]);
  };

  for (const step of def.steps) {
    const at = `steps.${step.id}`;
    if (outputsOf.has(step.id)) throw fail(at, 'two steps have this id');
    if (isTransfer(step)) {
      const k = kindOf(step.transfer, `${at}.transfer`);
      if (!fits(k, new Set(['string']))) throw fail(`${at}.transfer`, `carries ${show(k)}; a transfer carries a string (a wrapped share)`);
      if (step.passOnIf) kindOf(step.passOnIf, `${at}.passOnIf`);
      outputsOf.set(step.id, { blob: T.String() });
      continue;
    }
    if (!isComponent(step.component)) throw fail(at, `no component ${step.component}`);
    const def_ = COMPONENTS[step.component];
    const params = propertiesOf(def_.params);
    for (const [name, binding] of Object.entries(step.params)) {
      const where = `${at}.params.${name}`;
      if (!(name in params)) throw fail(where, `${step.component} takes no param ${name} (it takes ${Object.keys(params).join(', ') || 'none'})`);
      const from = kindOf(binding, where);
      const to = kindsOf(params[name]);
      if (!fits(from, to)) throw fail(where, `type mismatch: it gets ${show(from)}, and ${step.component}.${name} takes ${show(to)}`);
    }
    for (const required of (def_.params['required'] ?? []) as string[]) {
      if (!(required in step.params)) throw fail(at, `${step.component} needs param ${required}`);
    }
    outputsOf.set(step.id, propertiesOf(def_.result));
  }
  for (const [name, binding] of Object.entries(def.outputs)) kindOf(binding, `outputs.${name}`);
  return def;
}
