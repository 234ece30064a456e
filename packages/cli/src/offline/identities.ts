import { isAgeFile, openIdentityFile } from '@wr/age';
import { Secret, WrError } from '@wr/common';

/**
 * The identities in an identity file as `age-keygen` writes it, or in one
 * encrypted to a passphrase (`wr age keygen --passphrase-file`, `age -p`),
 * opened with that passphrase. `name` says which file, for errors. The file's
 * bytes are zeroed.
 */
export async function identitiesFromFile(bytes: Uint8Array, name: string, passphrase: Secret<string> | undefined): Promise<Secret<string>[]> {
  try {
    if (!passphrase && isAgeFile(bytes)) {
      throw new WrError('INVALID_ARGUMENT', `${name}: this identity file is encrypted: pass --passphrase-file FILE (or decrypt it first with age -d)`, {
        param: 'identity',
      });
    }
    return (await openIdentityFile(bytes, passphrase && { passphrases: [passphrase] }, name)).identities;
  } catch (err) {
    if (err instanceof WrError && err.code === 'NO_IDENTITY_MATCH') {
      throw new WrError(
        'INVALID_ARGUMENT',
        `${name}: the passphrase does not open this identity file (a wrong passphrase, or an ` +
          `identity sealed by a workspace: use it with \`wr share rewrap --identity-sealed\`)`,
        { param: 'identity' },
      );
    }
    throw err;
  } finally {
    bytes.fill(0);
  }
}
