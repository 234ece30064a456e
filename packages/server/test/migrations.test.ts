/** The migration helper: steps in order, each once, all or nothing, and no file newer than the code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDatabase, type Db, type Migration } from '../src/index.js';

function withDb(fn: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'wr-migrate-'));
  try {
    fn(join(dir, 'x.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const version = (db: Db) => db.pragma('user_version', { simple: true }) as number;
const tables = (db: Db) => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

const STEPS: Migration[] = [
  { version: 1, description: 'a', up: (db) => db.exec('CREATE TABLE a (x INTEGER) STRICT') },
  { version: 2, description: 'a.y', up: (db) => db.exec('ALTER TABLE a ADD COLUMN y TEXT') },
];

test('runs the pending steps in order and records the version; a second open runs none', () => {
  withDb((file) => {
    const ran: number[] = [];
    const counted = STEPS.map((m) => ({ ...m, up: (db: Db) => (ran.push(m.version), m.up(db)) }));
    let db = openDatabase(file);
    migrate(db, 'x', counted.slice(0, 1));
    assert.equal(version(db), 1);
    db.close();
    db = openDatabase(file);
    migrate(db, 'x', counted);
    migrate(db, 'x', counted);
    assert.deepEqual(ran, [1, 2]);
    assert.equal(version(db), 2);
    assert.deepEqual(
      (db.prepare('PRAGMA table_info(a)').all() as { name: string }[]).map((c) => c.name),
      ['x', 'y'],
    );
    db.close();
  });
});

test('a failing step leaves the file at the step before, with nothing of it applied', () => {
  withDb((file) => {
    const db = openDatabase(file);
    const failing: Migration = { version: 2, description: 'b then fail', up: (d) => (d.exec('CREATE TABLE b (x INTEGER)'), d.exec('NOT SQL')) };
    assert.throws(() => migrate(db, 'x', [STEPS[0]!, failing]), /x: migration to version 2 \(b then fail\) failed/);
    assert.equal(version(db), 1);
    assert.deepEqual(tables(db), ['a']);
    db.close();
  });
});

test('refuses a file newer than its steps, and steps out of order', () => {
  withDb((file) => {
    const db = openDatabase(file);
    migrate(db, 'x', STEPS);
    assert.throws(() => migrate(db, 'x', STEPS.slice(0, 1)), /x is at schema version 2, newer than this version of wr knows \(1\)/);
    assert.throws(() => migrate(db, 'x', [STEPS[1]!, STEPS[0]!]), /numbered/);
    db.close();
  });
});
