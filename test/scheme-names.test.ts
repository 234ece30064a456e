/**
 * The scheme names are one list, in @wr/common: @wr/api's contracts accept
 * them and @wr/crypto must implement every one, under the same name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCHEMES } from '@wr/api';
import { SCHEME_NAMES, getScheme } from '@wr/crypto';

test('@wr/crypto implements every scheme @wr/api accepts, and no other', () => {
  assert.deepEqual([...SCHEME_NAMES], [...SCHEMES]);
  for (const name of SCHEMES) assert.equal(getScheme(name).name, name);
  assert.throws(() => getScheme('frost-p256' as never), { code: 'INVALID_ARGUMENT' });
});
