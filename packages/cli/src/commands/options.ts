import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { WrError } from '@wr/common';

/** For repeatable options: `-r A -r B` gives [A, B]. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `a,b,c` (spaces allowed) as a list. */
export function parseList(value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list, e.g. node-1,node-2');
  return items;
}

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`);
    }
    return n;
  };
}

/** A file's bytes, or standard input's for `-`; a clear error naming the option otherwise. */
export function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path === '-' ? 0 : path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new WrError('INVALID_ARGUMENT', `${what}: cannot read ${path === '-' ? 'standard input' : path} (${reason})`, { param: what });
  }
}

export function readTextInput(path: string, what: string): string {
  return readInput(path, what).toString('utf8');
}
