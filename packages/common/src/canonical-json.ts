/**
 * Canonical JSON for wr's signed, versioned formats: object keys sorted by UTF-16
 * code units, no whitespace, integers only, strings escaped exactly as
 * `JSON.stringify` escapes them (the RFC 8785 / JCS rules restricted to integers).
 * UTF-8 on the wire.
 *
 * The parser is strict on purpose (STYLE.md "parse strictly, fail closed"): it
 * rejects duplicate keys, fractions and exponents, numbers outside the safe
 * integer range and nesting deeper than a small bound. Callers then re-encode the
 * parsed value and require identical bytes, so one document has exactly one
 * accepted spelling. Error messages carry positions, never document content
 * (documents may hold key material).
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Why a document was refused by {@link parseJsonStrict}. */
export class JsonSyntaxError extends Error {
  readonly kind: 'syntax' | 'duplicate-key';
  readonly position: number;

  constructor(kind: 'syntax' | 'duplicate-key', reason: string, position: number) {
    super(`${reason} at offset ${position}`);
    this.name = 'JsonSyntaxError';
    this.kind = kind;
    this.position = position;
  }
}

const MAX_DEPTH = 16;

/** Encodes a value canonically. Throws TypeError on anything that is not plain JSON with integer numbers. */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError('canonical JSON holds safe integers only');
      return Object.is(value, -0) ? '0' : String(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new TypeError('canonical JSON holds plain objects only');
      const entries = Object.keys(value).sort();
      return `{${entries.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}

/** Parses RFC 8259 JSON with integer numbers only; duplicate keys are refused. */
export function parseJsonStrict(text: string): JsonValue {
  const p = new Parser(text);
  p.skipWs();
  const value = p.value(0);
  p.skipWs();
  if (p.pos !== text.length) throw new JsonSyntaxError('syntax', 'trailing data', p.pos);
  return value;
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(reason: string): never {
    throw new JsonSyntaxError('syntax', reason, this.pos);
  }

  skipWs(): void {
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    const c = this.s[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.integer();
    if (this.s.startsWith('true', this.pos)) return ((this.pos += 4), true);
    if (this.s.startsWith('false', this.pos)) return ((this.pos += 5), false);
    if (this.s.startsWith('null', this.pos)) return ((this.pos += 4), null);
    return this.fail('unexpected character');
  }

  object(depth: number): { [key: string]: JsonValue } {
    const out: { [key: string]: JsonValue } = Object.create(null) as { [key: string]: JsonValue };
    this.pos++;
    this.skipWs();
    if (this.s[this.pos] === '}') return (this.pos++, toPlain(out));
    for (;;) {
      this.skipWs();
      if (this.s[this.pos] !== '"') this.fail('expected a string key');
      const keyPos = this.pos;
      const key = this.string();
      if (Object.prototype.hasOwnProperty.call(out, key)) throw new JsonSyntaxError('duplicate-key', 'duplicate key', keyPos);
      this.skipWs();
      if (this.s[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      this.skipWs();
      out[key] = this.value(depth + 1);
      this.skipWs();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') return (this.pos++, toPlain(out));
      this.fail("expected ',' or '}'");
    }
  }

  array(depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.pos++;
    this.skipWs();
    if (this.s[this.pos] === ']') return (this.pos++, out);
    for (;;) {
      this.skipWs();
      out.push(this.value(depth + 1));
      this.skipWs();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') return (this.pos++, out);
      this.fail("expected ',' or ']'");
    }
  }

  string(): string {
    this.pos++; // opening quote
    let out = '';
    for (;;) {
      if (this.pos >= this.s.length) this.fail('unterminated string');
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x22) {
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail('control character in string');
      if (c !== 0x5c) {
        out += this.s[this.pos];
        this.pos++;
        continue;
      }
      const e = this.s[this.pos + 1];
      this.pos += 2;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = this.s.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        default:
          this.pos -= 2;
          this.fail('bad escape');
      }
    }
  }

  integer(): number {
    const m = /^-?(0|[1-9][0-9]*)/.exec(this.s.slice(this.pos, this.pos + 32));
    if (!m) return this.fail('bad number');
    const next = this.s[this.pos + m[0].length];
    if (next === '.' || next === 'e' || next === 'E') this.fail('numbers must be integers');
    if (next !== undefined && next >= '0' && next <= '9') this.fail('number too long');
    const n = Number(m[0]);
    if (!Number.isSafeInteger(n)) this.fail('integer out of range');
    this.pos += m[0].length;
    return n;
  }
}

/** Objects are built without a prototype (so "__proto__" is an ordinary key), then given a plain one. */
function toPlain(o: { [key: string]: JsonValue }): { [key: string]: JsonValue } {
  const plain: { [key: string]: JsonValue } = {};
  for (const k of Object.keys(o)) Object.defineProperty(plain, k, { value: o[k], enumerable: true, writable: true, configurable: true });
  return plain;
}
