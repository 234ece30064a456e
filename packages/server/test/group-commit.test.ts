/** GroupCommit: the writes of one turn share one commit; each settles only once committed; a failure is undone alone. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GroupCommit, openDatabase } from '../src/index.js';

test('writes queued in one turn share one commit, settle only once it is on disk, and a failing one is undone alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wr-group-commit-'));
  const file = join(dir, 'g.db');
  const db = openDatabase(file);
  // A second connection sees only what is committed.
  const other = new Database(file, { readonly: true });
  try {
    db.exec('CREATE TABLE t (v TEXT PRIMARY KEY) STRICT');
    const committed = () => (other.prepare('SELECT v FROM t ORDER BY v').all() as { v: string }[]).map((r) => r.v);
    const group = new GroupCommit(db);
    const seenInside: string[][] = [];
    const insert = (v: string) => () => {
      db.prepare('INSERT INTO t (v) VALUES (?)').run(v);
      seenInside.push(committed());
      return v;
    };
    const a = group.run(insert('a'));
    const dup = group.run(insert('a'));
    const b = group.run(() => {
      db.prepare("INSERT INTO t (v) VALUES ('b')").run();
      seenInside.push(committed());
      return 'b';
    });
    assert.deepEqual(committed(), [], 'nothing runs before the turn ends');
    const settled = await Promise.allSettled([a, dup, b]);
    assert.deepEqual(seenInside, [[], []], 'the last write ran before the first was committed: one transaction');
    assert.equal(settled[0]!.status, 'fulfilled');
    assert.match(String((settled[1] as PromiseRejectedResult).reason), /UNIQUE/, 'the duplicate fails alone');
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(committed(), ['a', 'b'], 'on disk when the promises settle, the failed write undone');
    assert.ok(!db.inTransaction);

    // The next turn is a new group.
    assert.equal(await group.run(insert('c')), 'c');
    assert.deepEqual(committed(), ['a', 'b', 'c']);
  } finally {
    other.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
