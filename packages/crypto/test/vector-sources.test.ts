/**
 * The copied vectors are the ones their README names: each file's SHA-256 matches
 * the one written there, and no unlisted file hides among them.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { VECTORS_DIR } from './helpers.js';

/** `| \`frost/x.json\` | \`<sha-256>\` |` rows of test/vectors/README.md. */
function listed(): Map<string, string> {
  const readme = readFileSync(VECTORS_DIR + 'README.md', 'utf8');
  return new Map([...readme.matchAll(/^\| `([^`]+)` \| `([0-9a-f]{64})` \|$/gm)].map((m) => [m[1]!, m[2]!]));
}

describe('test/vectors', () => {
  it('every file matches the SHA-256 in README.md', () => {
    const files = listed();
    assert.ok(files.size >= 6, `README.md lists ${files.size} files`);
    for (const [file, sha256] of files) {
      const actual = createHash('sha256')
        .update(readFileSync(VECTORS_DIR + file))
        .digest('hex');
      assert.equal(actual, sha256, `${file} was changed: restore the copy named in README.md`);
    }
  });

  it('README.md lists every vector file', () => {
    const files = listed();
    for (const name of readdirSync(VECTORS_DIR + 'frost')) {
      assert.ok(files.has(`frost/${name}`), `frost/${name} is not listed (with its source and SHA-256) in README.md`);
    }
  });
});
