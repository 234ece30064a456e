import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Secret, WrError, dataDirUnusable, isHex } from '@wr/common';

/**
 * Loads a 32-byte master key: from an environment variable (hex) if set, else from
 * a key file, created with 0600 permissions on first use. The key never goes into
 * a database.
 */
export function loadMasterKey(opts: { envValue?: string | undefined; file: string; create: boolean }): Secret<Uint8Array> {
  if (opts.envValue) {
    if (!isHex(opts.envValue, 32)) throw new WrError('CONFIG_INVALID', 'the master key variable must be 64 lowercase hex digits', { param: 'masterKey' });
    return new Secret(new Uint8Array(Buffer.from(opts.envValue, 'hex')));
  }
  if (!opts.create && !existsSync(opts.file)) throw new WrError('DATA_DIR_UNUSABLE', `no master key at ${opts.file}`);
  let hex: string;
  try {
    if (!existsSync(opts.file)) {
      mkdirSync(dirname(opts.file), { recursive: true, mode: 0o700 });
      writeFileSync(opts.file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    }
    const mode = statSync(opts.file).mode & 0o777;
    if (mode & 0o077) chmodSync(opts.file, 0o600);
    hex = readFileSync(opts.file, 'utf8').trim();
  } catch (err) {
    // A data directory this user cannot read or write: a startup failure with its code.
    throw dataDirUnusable(opts.file, err);
  }
  if (!isHex(hex, 32)) throw new WrError('DATA_DIR_UNUSABLE', `the master key file ${opts.file} is not 64 hex digits`);
  return new Secret(new Uint8Array(Buffer.from(hex, 'hex')));
}
