import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { dataDirUnusable } from '@wr/common';

export type Db = Database.Database;

/**
 * Opens (creating if needed) a SQLite file in WAL mode with full fsync, so that a
 * committed transaction survives a kill or a power cut and an interrupted one
 * leaves nothing behind. Its tables come from `migrate` (migrations.ts).
 */
export function openDatabase(file: string): Db {
  let db: Db | undefined;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    db = new Database(file);
    // The first statement reads the file: an unreadable or foreign one fails here, as a startup failure.
    db.pragma('journal_mode = WAL');
  } catch (err) {
    db?.close();
    throw dataDirUnusable(file, err);
  }
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}
