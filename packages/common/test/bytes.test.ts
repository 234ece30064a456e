// Strict hex: one rule for every parser in wr.
import assert from 'node:assert/strict';
import { it } from 'node:test';

import { WrError, fromHex, hexBytes, isHex, toHex } from '../src/index.js';

it('accepts only lowercase hex of whole bytes, of the length asked for', () => {
  for (const good of ['', '00', 'deadbeef', '0123456789abcdef']) assert.equal(isHex(good), true, good);
  for (const bad of ['0', 'DEADBEEF', 'dead beef', '0x00', 'zz', ' 00', '00\n', 1234, null, undefined]) assert.equal(isHex(bad), false, String(bad));
  assert.equal(isHex('00'.repeat(32), 32), true);
  assert.equal(isHex('00'.repeat(31), 32), false);
});

it('hexBytes returns bytes or undefined; fromHex throws INVALID_ARGUMENT naming the parameter', () => {
  assert.deepEqual(hexBytes('0102', 2), new Uint8Array([1, 2]));
  assert.equal(hexBytes('0102', 3), undefined);
  assert.equal(toHex(fromHex('abcd', 'x')), 'abcd');
  assert.throws(
    () => fromHex('ABCD', 'message'),
    (e: unknown) => e instanceof WrError && e.code === 'INVALID_ARGUMENT' && e.param === 'message',
  );
  assert.throws(
    () => fromHex('abcd', 'key', 32),
    (e: unknown) => e instanceof WrError && e.code === 'INVALID_ARGUMENT' && /32 bytes/.test(e.message),
  );
});
