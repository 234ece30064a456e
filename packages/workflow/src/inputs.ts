import { WrError } from '@wr/common';
import type { WorkflowDefinition } from './definition.js';

/**
 * Checks a run's inputs against the definition: each declared, each of its type, none missing. `recorded`: these
 * are the inputs a run record keeps, so a secret input must be left out (the client that drives the run keeps it).
 */
export function checkInputs(def: WorkflowDefinition, inputs: Record<string, unknown>, opts: { recorded?: boolean } = {}): void {
  for (const name of Object.keys(inputs)) {
    const spec = def.inputs[name];
    if (!spec) throw new WrError('INVALID_ARGUMENT', `inputs.${name}: ${def.name} takes no input ${name}`, { param: `inputs.${name}` });
    if (opts.recorded && spec.secret) {
      throw new WrError('INVALID_ARGUMENT', `inputs.${name}: a secret input is never sent to the run record; keep it and pass it when the run's steps run`, {
        param: `inputs.${name}`,
      });
    }
  }
  for (const [name, spec] of Object.entries(def.inputs)) {
    const v = inputs[name];
    if (v === undefined) {
      if (!spec.optional && !(opts.recorded && spec.secret))
        throw new WrError('INVALID_ARGUMENT', `inputs.${name}: ${def.name} needs it`, { param: `inputs.${name}` });
      continue;
    }
    const ok = spec.type === 'integer' ? Number.isSafeInteger(v) : typeof v === spec.type;
    if (!ok)
      throw new WrError('INVALID_ARGUMENT', `inputs.${name}: must be ${spec.type === 'integer' ? 'an integer' : `a ${spec.type}`}`, {
        param: `inputs.${name}`,
      });
  }
}

/** The inputs a run record may keep: all but the secret ones. */
export function recordedInputs(def: WorkflowDefinition, inputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(inputs).filter(([name]) => !def.inputs[name]?.secret));
}
