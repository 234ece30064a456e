import type { Db } from './database.js';

/**
 * Versioned SQLite files. A file's version is its `PRAGMA user_version`; its
 * owner (the node for node.db, the workspace for workspace.db) keeps one ordered
 * list of steps, and `migrate` runs the ones the file has not had yet. Tables
 * that several servers share (registry, audit log, sealed secrets) have their
 * SQL here in @wr/server, but each file takes them in by a step of its own
 * list: one file, one owner, one version, so user_version tells the whole truth.
 *
 * A step is frozen once released: a change to a table is a new step (ALTER
 * TABLE, or a copy into a new table), never an edit of an old one, and never a
 * `CREATE TABLE IF NOT EXISTS` left to pick it up.
 */
export interface Migration {
  /** 1, 2, 3...: the file's user_version once this step has run. */
  version: number;
  /** What the step does, for the error if it fails. */
  description: string;
  up(db: Db): void;
}

/**
 * Brings `db` to the last version of `migrations`, each pending step in its own
 * IMMEDIATE transaction with the new user_version, so a crash leaves the file at
 * the step before and the next open goes on from there. A second process racing
 * on the same file finds the step done and skips it. A file newer than this code
 * is refused: its tables may mean something this code does not know.
 */
export function migrate(db: Db, name: string, migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${name}: migration ${i + 1} is numbered ${m.version}; steps are numbered 1, 2, 3... in order`);
  });
  const latest = migrations.length;
  const version = () => db.pragma('user_version', { simple: true }) as number;
  if (version() > latest) {
    throw new Error(`${name} is at schema version ${version()}, newer than this version of wr knows (${latest}): run the wr release that wrote it`);
  }
  for (const m of migrations) {
    if (version() >= m.version) continue;
    db.transaction(() => {
      if (version() >= m.version) return;
      try {
        m.up(db);
      } catch (err) {
        throw new Error(`${name}: migration to version ${m.version} (${m.description}) failed: ${(err as Error).message}`, { cause: err });
      }
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}
