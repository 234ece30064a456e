/**
 * Strict parsing of wr's versioned canonical-JSON documents (the key-share
 * envelope, the stored public key package). Checks, in order:
 *
 *   json      — well-formed JSON (integers only, no duplicate keys), an object
 *   version   — `version` is an integer (else SHARE_INVALID); any integer but the
 *               supported one is UNSUPPORTED_VERSION. Checked before the rest, so
 *               a newer format is reported as such rather than as corrupt.
 *   canonical — re-encoding gives the identical text (sorted keys, no whitespace…)
 *   fields    — `type` is the expected one; exactly the expected fields, each of
 *               the expected JSON type
 *
 * Details never quote document content: documents may hold key material.
 */
import { canonicalJson, parseJsonStrict, JsonSyntaxError, type JsonValue } from '@wr/common';
import type { CheckRun } from './check-run.js';

export type FieldKind = 'string' | 'integer' | 'string[]' | 'string-map' | { readonly [field: string]: FieldKind };

export type JsonObject = { [key: string]: JsonValue };

function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindError(value: JsonValue | undefined, kind: FieldKind, path: string): string | undefined {
  if (kind === 'string') return typeof value === 'string' ? undefined : `${path} must be a string`;
  if (kind === 'integer') return typeof value === 'number' && Number.isSafeInteger(value) ? undefined : `${path} must be an integer`;
  if (kind === 'string[]') return Array.isArray(value) && value.every((v) => typeof v === 'string') ? undefined : `${path} must be an array of strings`;
  if (kind === 'string-map')
    return isPlainObject(value) && Object.values(value).every((v) => typeof v === 'string') ? undefined : `${path} must be an object of strings`;
  if (!isPlainObject(value)) return `${path} must be an object`;
  return shapeError(value, kind, path + '.');
}

function shapeError(obj: JsonObject, spec: { readonly [field: string]: FieldKind }, prefix: string): string | undefined {
  const missing = Object.keys(spec).filter((k) => !Object.prototype.hasOwnProperty.call(obj, k));
  if (missing.length) return `missing field(s): ${missing.map((m) => prefix + m).join(', ')}`;
  const unknown = Object.keys(obj).filter((k) => !Object.prototype.hasOwnProperty.call(spec, k));
  // Unknown names are not quoted: a damaged document could turn content into a key.
  if (unknown.length) return `${unknown.length} unknown field(s)${prefix ? ' in ' + prefix.slice(0, -1) : ''}`;
  for (const [k, kind] of Object.entries(spec)) {
    const e = kindError(obj[k], kind, prefix + k);
    if (e) return e;
  }
  return undefined;
}

/**
 * Runs the json / version / canonical / fields checks on `text`. Returns the
 * document when they all pass, otherwise undefined (the failure is in `run`).
 */
export function parseDocument(
  run: CheckRun,
  text: string,
  expect: { type: string; version: number; fields: { readonly [field: string]: FieldKind } },
): JsonObject | undefined {
  let doc: JsonObject | undefined;
  if (
    !run.run('json', () => {
      let v: JsonValue;
      try {
        v = parseJsonStrict(text);
      } catch (err) {
        if (err instanceof JsonSyntaxError) return err.kind === 'duplicate-key' ? `duplicate key at offset ${err.position}` : `not valid JSON (${err.message})`;
        throw err;
      }
      if (!isPlainObject(v)) return 'the document must be a JSON object';
      doc = v;
      return undefined;
    })
  )
    return undefined;
  const d = doc!;
  const versionOk = run.run('version', () => {
    const v = d['version'];
    if (v === undefined) return 'missing field: version';
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return 'version must be an integer';
    if (v !== expect.version)
      return { code: 'UNSUPPORTED_VERSION', detail: `format version ${v} is not supported (this build reads version ${expect.version}); upgrade wr` };
    return undefined;
  });
  if (!versionOk) return undefined;
  if (!run.run('canonical', () => (canonicalJson(d) === text ? undefined : 'not in canonical form (sorted keys, no whitespace, minimal escapes)')))
    return undefined;
  if (
    !run.run('fields', () => {
      if (d['type'] !== expect.type) return `type must be "${expect.type}"`;
      return shapeError(d, expect.fields, '');
    })
  )
    return undefined;
  return d;
}
