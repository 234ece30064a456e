import { Secret, WrError } from '@wr/common';
import { identitiesFromFile } from '../offline/identities.js';
import type { Command } from 'commander';
import { collect, readInput } from './options.js';

/** The first line of a passphrase file (a trailing newline is not part of it). */
export function readPassphrase(path: string): Secret<string> {
  const bytes = readInput(path, '--passphrase-file');
  const passphrase = bytes.toString('utf8').split(/\r?\n/)[0] ?? '';
  bytes.fill(0);
  if (passphrase === '')
    throw new WrError('INVALID_ARGUMENT', `--passphrase-file: ${path} is empty; its first line is the passphrase`, { param: 'passphraseFile' });
  return new Secret(passphrase);
}

/** Every identity of every `-i` file, in order. */
export async function readIdentities(paths: string[], passphraseFile: string | undefined): Promise<Secret<string>[]> {
  if (paths.length === 0) throw new WrError('INVALID_ARGUMENT', 'pass an identity file with -i FILE (as age-keygen writes it)', { param: 'identity' });
  const passphrase = passphraseFile ? readPassphrase(passphraseFile) : undefined;
  try {
    const all: Secret<string>[] = [];
    for (const path of paths) all.push(...(await identitiesFromFile(readInput(path, '-i'), `-i ${path}`, passphrase)));
    return all;
  } finally {
    passphrase?.destroy();
  }
}

/** The options that name identity files (-i) and the passphrase that opens encrypted ones; read them with readIdentities. */
export function withIdentityOptions(command: Command): Command {
  return command
    .option('-i, --identity <file>', 'an identity file that opens it (as age-keygen writes it); repeat for more', collect)
    .option('--passphrase-file <file>', 'opens -i identity files encrypted to a passphrase');
}
