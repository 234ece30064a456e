/** `wr dev`'s log files rotate by size: whole lines only, a bounded number of old files kept. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RotatingLog } from '../src/dev/rotating-log.js';

test('a log rotates past maxBytes at a line end, keeps `files` old files, and loses no line but the oldest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wr-rotate-'));
  try {
    const path = join(dir, 'node-1.log');
    const log = new RotatingLog(path, { maxBytes: 1000, files: 2 });
    const line = (i: number) => JSON.stringify({ level: 30, msg: `line ${String(i).padStart(4, '0')}` }) + '\n'; // 35 bytes
    // Written in chunks that split lines, as a pipe delivers them.
    const all = Array.from({ length: 120 }, (_, i) => line(i)).join('');
    for (let off = 0; off < all.length; off += 64) log.write(Buffer.from(all.slice(off, off + 64)));
    log.close();

    assert.deepEqual(readdirSync(dir).sort(), ['node-1.log', 'node-1.log.1', 'node-1.log.2']);
    assert.ok(!existsSync(`${path}.3`), 'no more than `files` old files');
    const files = [`${path}.2`, `${path}.1`, path].map((f) => readFileSync(f, 'utf8'));
    for (const f of files.slice(0, 2)) assert.ok(statSync(`${path}`).size <= 1000 + 64 && f.length <= 1000 + 64, 'each file stays near its bound');
    for (const f of files) for (const l of f.split('\n').filter(Boolean)) JSON.parse(l); // every line whole
    const kept = files.join('');
    assert.ok(all.endsWith(kept), 'the newest lines are kept, in order, none twice');
    assert.ok(kept.length > 2000, 'three files of lines kept');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
