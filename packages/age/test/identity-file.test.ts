// Identity files written and read back: in the clear, encrypted to a passphrase
// or to a recipient, and the sniff that tells an age file from identity text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { WrError } from '@wr/common';

import { formatIdentityFile, generateIdentity, isAgeFile, openIdentityFile, wrap, wrapWithPassphrase } from '../src/index.js';

const owner = await generateIdentity('x25519');
const holder = await generateIdentity('x25519');

describe('isAgeFile', () => {
  it('tells armored and binary age files from identity text', async () => {
    const armored = await wrap(new Uint8Array([1, 2, 3]), [holder.recipient]);
    assert.equal(isAgeFile(armored), true);
    assert.equal(isAgeFile(`\n  ${armored}`), true, 'leading whitespace is allowed around armor');
    assert.equal(isAgeFile(Buffer.from(armored)), true);
    assert.equal(isAgeFile(Buffer.from('age-encryption.org/v1\n-> X25519 ...')), true);
    assert.equal(isAgeFile(owner.identity.expose()), false);
    assert.equal(isAgeFile(Buffer.from(`# created: now\n${owner.identity.expose()}\n`)), false);
    assert.equal(isAgeFile(''), false);
  });
});

describe('formatIdentityFile and openIdentityFile', () => {
  it('writes what age-keygen writes, with our comments before the key, and reads it back', async () => {
    const file = formatIdentityFile(owner.identity, owner.recipient, ['wr-note: v1 hello']);
    const text = Buffer.from(file).toString('utf8');
    assert.match(text, /^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n# public key: age1[0-9a-z]+\n# wr-note: v1 hello\nAGE-SECRET-KEY-1[0-9A-Z]+\n$/);
    const opened = await openIdentityFile(file, undefined);
    assert.deepEqual(
      opened.identities.map((i) => i.expose()),
      [owner.identity.expose()],
    );
    assert.deepEqual(opened.comments.slice(1), [`public key: ${owner.recipient}`, 'wr-note: v1 hello']);
  });

  it('opens an identity file encrypted to a passphrase or to a recipient', async () => {
    const file = formatIdentityFile(owner.identity, owner.recipient);
    const byPassphrase = await wrapWithPassphrase(file, 'correct horse', { logN: 10 });
    const opened = await openIdentityFile(byPassphrase, { passphrases: ['correct horse'] });
    assert.equal(opened.identities[0]!.expose(), owner.identity.expose());
    const byRecipient = await wrap(file, [holder.recipient]);
    assert.equal((await openIdentityFile(byRecipient, { identities: [holder.identity] })).identities[0]!.expose(), owner.identity.expose());
  });

  it('refuses an encrypted file given no keys, and reports a key that does not open it', async () => {
    const encrypted = await wrap(formatIdentityFile(owner.identity, owner.recipient), [holder.recipient]);
    await assert.rejects(
      openIdentityFile(encrypted, undefined, 'identity'),
      (e: unknown) => e instanceof WrError && e.code === 'INVALID_ARGUMENT' && e.param === 'identity',
    );
    await assert.rejects(openIdentityFile(encrypted, { identities: [owner.identity] }), (e: unknown) => e instanceof WrError && e.code === 'NO_IDENTITY_MATCH');
  });

  it('refuses a file with no identity in it, without quoting it', async () => {
    await assert.rejects(
      openIdentityFile('# only a comment\n', undefined),
      (e: unknown) => e instanceof WrError && e.code === 'INVALID_ARGUMENT' && !e.message.includes('only a comment'),
    );
  });
});
