import { writeFileSync } from 'node:fs';
import { WrError } from '@wr/common';

/** Writes `text` to `path` (mode 0600), or to stdout when `path` is undefined or `-`. Says where. */
export function writeOutput(path: string | undefined, text: string): 'stdout' | string {
  if (path === undefined || path === '-') {
    process.stdout.write(text.endsWith('\n') ? text : text + '\n');
    return 'stdout';
  }
  try {
    writeFileSync(path, text.endsWith('\n') ? text : text + '\n', { mode: 0o600 });
  } catch (err) {
    throw new WrError('INVALID_ARGUMENT', `-o: cannot write ${path} (${(err as Error).message})`, { param: 'output' });
  }
  return path;
}
