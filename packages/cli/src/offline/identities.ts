import { parseIdentityFile, unwrap } from '@wr/age';
import { Secret, WrError } from '@wr/common';

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const BINARY_BEGIN = 'age-encryption.org/';

function isAgeFile(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 64)).toString('latin1').trimStart();
  return head.startsWith(ARMOR_BEGIN) || head.startsWith(BINARY_BEGIN);
}

/**
 * The identities in an identity file as `age-keygen` writes it, or in one
 * encrypted to a passphrase (`wr age keygen --passphrase-file`, `age -p`),
 * opened with that passphrase. `name` says which file, for errors. The file's
 * bytes are zeroed.
 */
export async function identitiesFromFile(bytes: Uint8Array, name: string, passphrase: Secret<string> | undefined): Promise<Secret<string>[]> {
  let plain = bytes;
  try {
    if (isAgeFile(bytes)) {
      if (!passphrase) {
        throw new WrError('INVALID_ARGUMENT', `${name}: this identity file is encrypted: pass --passphrase-file FILE (or decrypt it first with age -d)`, { param: 'identity' });
      }
      try {
        plain = await unwrap(bytes, { passphrases: [passphrase] });
      } catch (err) {
        if (err instanceof WrError && err.code === 'NO_IDENTITY_MATCH') {
          throw new WrError(
            'INVALID_ARGUMENT',
            `${name}: the passphrase does not open this identity file (a wrong passphrase, or an identity sealed by a workspace: use it with \`wr share rewrap --identity-sealed\`)`,
            { param: 'identity' },
          );
        }
        throw err;
      }
    }
    const text = new Secret(Buffer.from(plain).toString('utf8'));
    try {
      return parseIdentityFile(text, name);
    } finally {
      text.destroy();
    }
  } finally {
    if (plain !== bytes) plain.fill(0);
    bytes.fill(0);
  }
}
