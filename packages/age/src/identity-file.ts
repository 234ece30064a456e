// Identity files, as `age-keygen` writes them and `age -i` reads them: one
// identity per line; lines that are empty or start with `#` are skipped; LF
// or CRLF line ends. Like the Go reference, nothing else is trimmed: a line
// with stray spaces is an error, reported by line number, never quoted.
import { invalidArgument, Secret, WrError } from '@wr/common';

import { isAgeFile } from './armor.js';
import { identityProblem } from './identities.js';
import { unwrap, type UnwrapKeys } from './unwrap.js';

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

/**
 * An identity file as age-keygen writes it (so `age -d -i` takes it): when it
 * was made, its public key, then any `comments` of the caller's, then the
 * identity. The caller zeroes the bytes when done.
 */
export function formatIdentityFile(identity: Secret<string>, recipient: string, comments: string[] = []): Uint8Array {
  const created = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const lines = [`# created: ${created}`, `# public key: ${recipient}`, ...comments.map((c) => `# ${c}`), identity.expose(), ''];
  return new TextEncoder().encode(lines.join('\n'));
}

/** What {@link openIdentityFile} found: the identities, and the file's comment lines (public, without their `#`). */
export type OpenedIdentityFile = { identities: Secret<string>[]; comments: string[] };

/**
 * An identity file, in the clear or itself an age file (encrypted to a
 * passphrase by `age -p`, or to a recipient), opened with `keys` when it is
 * encrypted. Throws INVALID_ARGUMENT naming `param` for an encrypted file given
 * no keys or a malformed file, and the UnwrapError of {@link unwrap} (such as
 * NO_IDENTITY_MATCH) when the keys do not open it. Decrypted bytes are zeroed.
 */
export async function openIdentityFile(input: string | Uint8Array, keys: UnwrapKeys | undefined, param = 'ageIdentity'): Promise<OpenedIdentityFile> {
  let plain: Uint8Array | undefined;
  try {
    if (isAgeFile(input)) {
      if (!keys) throw new WrError('INVALID_ARGUMENT', `${param}: this identity file is encrypted`, { param });
      plain = await unwrap(input, keys);
    }
    const text = new Secret(plain ? Buffer.from(plain).toString('utf8') : typeof input === 'string' ? input : Buffer.from(input).toString('utf8'));
    try {
      const comments = text
        .expose()
        .split('\n')
        .filter((l) => l.startsWith('#'))
        .map((l) => l.replace(/\r$/, '').slice(1).trim());
      return { identities: parseIdentityFile(text, param), comments };
    } finally {
      text.destroy();
    }
  } finally {
    plain?.fill(0);
  }
}
