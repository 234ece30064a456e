/** A newcomer's first minutes: what `wr` says before anything is built. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { ROOT, scratchDir } from './support/network.js';

it('before the first build, wr says in one line to install and build, with no stack trace', () => {
  const dir = scratchDir('unbuilt');
  try {
    // The package as a fresh clone has it: bin/, and no dist/ yet.
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(ROOT, 'packages', 'cli', 'bin', 'wr.js'), join(dir, 'bin', 'wr.js'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'wr.js'), 'keys', 'list'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'wr: not built yet: run `npm install` and then `npm start` (or `npm run build`) in the wr folder first\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
