// Identity files, as `age-keygen` writes them and `age -i` reads them: one
// identity per line; lines that are empty or start with `#` are skipped; LF
// or CRLF line ends. Like the Go reference, nothing else is trimmed: a line
// with stray spaces is an error, reported by line number, never quoted.
import { invalidArgument, Secret } from '@wr/common';

import { identityProblem } from './identities.js';

/** Same cap as the Go reference's identity file reader. */
const MAX_FILE_SIZE = 1 << 24;

/**
 * The identities in an identity file, each as a Secret. Throws INVALID_ARGUMENT
 * naming `param` for a malformed line (by number) or a file with no identity.
 */
export function parseIdentityFile(text: string | Secret<string>, param = 'ageIdentity'): Secret<string>[] {
  if (text instanceof Secret) {
    if (text.destroyed) throw invalidArgument(param, 'the identity file was destroyed before use');
    text = text.expose();
  }
  if (typeof text !== 'string') throw invalidArgument(param, 'must be the text of an age identity file');
  if (text.length > MAX_FILE_SIZE) throw invalidArgument(param, 'is too large to be an age identity file');
  const identities: Secret<string>[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '' || line.startsWith('#')) continue;
    const problem = identityProblem(line);
    if (problem !== null) throw invalidArgument(param, `line ${n + 1} ${problem}`);
    identities.push(new Secret(line));
  }
  if (identities.length === 0) throw invalidArgument(param, 'holds no identity (only comments and blank lines)');
  return identities;
}
