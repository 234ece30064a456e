import { closeSync, existsSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { WrError, type Secret } from '@wr/common';

const HEX = '0123456789abcdef';

/** Lowercase hex of the secret plus a newline, as bytes (no JS string holds it), to be zeroed by the caller. */
function hexBytes(secret: Secret<Uint8Array>): Uint8Array {
  const bytes = secret.expose();
  const out = new Uint8Array(bytes.length * 2 + 1);
  bytes.forEach((b, i) => {
    out[2 * i] = HEX.charCodeAt(b >> 4);
    out[2 * i + 1] = HEX.charCodeAt(b & 15);
  });
  out[out.length - 1] = 0x0a;
  return out;
}

function writeAll(fd: number, data: Uint8Array): void {
  for (let off = 0; off < data.length;) off += writeSync(fd, data, off);
}

/**
 * Checks, before any secret is rebuilt, that it can go where it was told:
 * `-` only to a pipe or a file (never a terminal); a file only if it does not
 * exist yet, unless `force`.
 */
export function checkSecretDestination(out: string, force: boolean, stdoutIsTTY: boolean): void {
  if (out === '-') {
    if (stdoutIsTTY) {
      throw new WrError(
        'INVALID_ARGUMENT',
        '-o -: refusing to print a private key to a terminal: pass -o FILE (written with mode 0600), or pipe the output into where it must go',
        { param: 'output' },
      );
    }
    return;
  }
  if (!force && existsSync(out)) {
    throw new WrError('INVALID_ARGUMENT', `-o: ${out} already exists: choose a new file, or pass --force to replace it`, { param: 'output' });
  }
}

/** Writes the secret as hex to stdout (`-`) or to a new file with mode 0600, then zeroes the hex. */
export function writeSecretHex(secret: Secret<Uint8Array>, out: string, force: boolean): void {
  const data = hexBytes(secret);
  try {
    if (out === '-') {
      writeAll(1, data);
      return;
    }
    if (force && existsSync(out)) unlinkSync(out);
    let fd: number;
    try {
      fd = openSync(out, 'wx', 0o600); // 'wx': never follows into a file someone else made meanwhile
    } catch (err) {
      throw new WrError('INVALID_ARGUMENT', `-o: cannot create ${out} (${(err as Error).message})`, { param: 'output' });
    }
    try {
      writeAll(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } finally {
    data.fill(0);
  }
}
