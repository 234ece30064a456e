/**
 * fast-check arbitraries for damaging a valid file: byte-level edits of a
 * binary buffer, character-level edits of armored text, and structured edits
 * of the envelope's JSON document. Each edit list is applied in order and is
 * printed by fast-check as it is, so a counterexample reads as a recipe.
 */
import fc from 'fast-check';

export type ByteEdit =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'replace'; at: number; bytes: number[] };

/** Positions: half the time in the first `headBytes` (a header), otherwise anywhere. */
const position = (headBytes: number) => fc.oneof(fc.nat({ max: headBytes - 1 }), fc.nat());

export function byteEdits(headBytes = 256): fc.Arbitrary<ByteEdit[]> {
  const at = position(headBytes);
  const bytes = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 });
  const edit: fc.Arbitrary<ByteEdit> = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at, mask: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at, bytes }),
    fc.record({ kind: fc.constant('delete' as const), at, len: fc.integer({ min: 1, max: 48 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('replace' as const), at, bytes }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 3 });
}

export function applyByteEdits(input: Uint8Array, edits: readonly ByteEdit[]): Uint8Array {
  let b = Array.from(input);
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % (b.length + 1);
    switch (e.kind) {
      case 'flip':
        if (b.length > 0) b[at % b.length]! ^= e.mask;
        break;
      case 'insert':
        b.splice(at, 0, ...e.bytes);
        break;
      case 'delete':
        b.splice(at, e.len);
        break;
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'replace':
        b.splice(at, e.bytes.length, ...e.bytes);
        break;
    }
  }
  return Uint8Array.from(b);
}

export type TextEdit =
  { kind: 'insert'; at: number; text: string } | { kind: 'delete'; at: number; len: number } | { kind: 'replace'; at: number; text: string };

/** Characters that matter to armor: base64, padding, line ends, spaces, dashes, and a little else. */
const armorChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-\n\r \t.é\u0000'.split(''));

export function textEdits(): fc.Arbitrary<TextEdit[]> {
  const text = fc.array(armorChar, { minLength: 1, maxLength: 8 }).map((a) => a.join(''));
  const at = fc.oneof(fc.nat({ max: 80 }), fc.nat());
  const edit: fc.Arbitrary<TextEdit> = fc.oneof(
    fc.record({ kind: fc.constant('insert' as const), at, text }),
    fc.record({ kind: fc.constant('delete' as const), at, len: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ kind: fc.constant('replace' as const), at, text }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 3 });
}

export function applyTextEdits(input: string, edits: readonly TextEdit[]): string {
  let s = input;
  for (const e of edits) {
    const at = e.at % (s.length + 1);
    if (e.kind === 'insert') s = s.slice(0, at) + e.text + s.slice(at);
    else if (e.kind === 'delete') s = s.slice(0, at) + s.slice(at + e.len);
    else s = s.slice(0, at) + e.text + s.slice(at + e.text.length);
  }
  return s;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export type DocEdit =
  | { kind: 'set'; field: string; value: Json }
  | { kind: 'drop'; field: string }
  | { kind: 'add'; field: string; value: Json }
  | { kind: 'tweak'; field: string; at: number; char: string; delta: number }
  | { kind: 'reorder'; seed: number }
  | { kind: 'space'; at: number; ws: string }
  | { kind: 'escape'; at: number };

/** Structured edits of an envelope document whose top-level fields are `fields`. */
export function docEdits(fields: readonly string[]): fc.Arbitrary<DocEdit[]> {
  const field = fc.constantFrom(...fields);
  const value = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;
  const edit: fc.Arbitrary<DocEdit> = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('tweak' as const),
        field,
        at: fc.nat(),
        char: fc.constantFrom(...'0123456789abcdefABCDEF xZ-:.'.split('')),
        delta: fc.integer({ min: -2, max: 2 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('set' as const), field, value }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), field }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('add' as const), field: fc.string({ minLength: 1, maxLength: 12 }), value }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('reorder' as const), seed: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('space' as const), at: fc.nat(), ws: fc.constantFrom(' ', '\n', '\t', '\r\n') }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('escape' as const), at: fc.nat() }) },
  );
  return fc.array(edit, { minLength: 1, maxLength: 3 });
}

/** A near miss of a value: one character changed, a number nudged, or the same inside a nested object or array. */
function tweak(v: Json, at: number, char: string, delta: number): Json {
  if (typeof v === 'string') {
    if (v.length === 0) return char;
    const i = at % v.length;
    return v.slice(0, i) + char + v.slice(i + 1);
  }
  if (typeof v === 'number') return v + (delta === 0 ? 1 : delta);
  if (Array.isArray(v)) {
    if (v.length === 0) return [char];
    const i = at % v.length;
    return v.map((x, j) => (j === i ? tweak(x, Math.floor(at / v.length), char, delta) : x));
  }
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 0) return { [char]: char };
    const k = keys[at % keys.length]!;
    return { ...v, [k]: tweak(v[k]!, Math.floor(at / keys.length), char, delta) };
  }
  return v === null ? 0 : !v;
}

/** Applies edits to a parsed document and serializes it (JSON.stringify, then the text-level edits). */
export function applyDocEdits(original: Record<string, Json>, edits: readonly DocEdit[]): string {
  let doc: Record<string, Json> = { ...original };
  const textOps: DocEdit[] = [];
  for (const e of edits) {
    if (e.kind === 'set' || e.kind === 'add') doc[e.field] = e.value;
    else if (e.kind === 'drop') delete doc[e.field];
    else if (e.kind === 'tweak') {
      if (e.field in doc) doc[e.field] = tweak(doc[e.field]!, e.at, e.char, e.delta);
    } else if (e.kind === 'reorder') {
      const keys = Object.keys(doc);
      const shuffled = keys
        .map((k, i) => [k, (i * 7919 + e.seed) % 104729] as const)
        .sort((a, b) => a[1] - b[1])
        .map(([k]) => k);
      doc = Object.fromEntries(shuffled.map((k) => [k, doc[k]!]));
    } else textOps.push(e);
  }
  let text = JSON.stringify(doc);
  for (const e of textOps) {
    // Only between tokens (after , or : or {), so the JSON still parses: the text is only non-canonical.
    const spots = [...text.matchAll(/[,:{]/g)].map((m) => m.index! + 1);
    const at = spots.length ? spots[(e as { at: number }).at % spots.length]! : 0;
    if (e.kind === 'space') text = text.slice(0, at) + e.ws + text.slice(at);
    else if (e.kind === 'escape') {
      // A character of a string written as a \u escape: the same value, spelled otherwise.
      const m = /"([a-z])/.exec(text.slice(at));
      if (m) {
        const i = at + m.index + 1;
        text = text.slice(0, i) + `\\u00${m[1]!.charCodeAt(0).toString(16)}` + text.slice(i + 1);
      }
    }
  }
  return text;
}
