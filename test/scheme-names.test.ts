/**
 * The scheme names live in two packages: @wr/api's SCHEMES (the wire contract:
 * it validates CREATE_KEY and types the SDK) and @wr/crypto's SCHEME_NAMES (the
 * suites that implement them). Neither may import the other: the API would pull
 * noble into the SDK, and crypto stays free of wire contracts. This test, which
 * may import both, keeps the two lists one list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCHEMES, type SchemeName as ApiSchemeName } from '@wr/api';
import { SCHEME_NAMES, type SchemeName as CryptoSchemeName } from '@wr/crypto';

// The build fails here if the two SchemeName unions differ.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameSchemeNameTypes: Same<ApiSchemeName, CryptoSchemeName> = true;

test('@wr/api SCHEMES and @wr/crypto SCHEME_NAMES list the same schemes in the same order', () => {
  assert.equal(sameSchemeNameTypes, true);
  assert.deepEqual([...SCHEMES], [...SCHEME_NAMES]);
});
