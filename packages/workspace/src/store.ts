import { AUDIT_SCHEMA, REGISTRY_SCHEMA, SEALED_SECRETS_SCHEMA, migrate, openDatabase, type Db, type Migration } from '@wr/server';

/** A value a statement takes: BLOBs and BYTEA are Buffers, integers numbers. */
export type SqlParam = string | number | Buffer | null;

/**
 * The statements the workspace runs, on either store. SQL is written once,
 * in the dialect both understand: `?` placeholders, `INSERT ... ON CONFLICT`,
 * `excluded.`; no `INSERT OR ...`, no `rowid` but the column of that name the
 * PostgreSQL tables declare where it is read.
 */
export interface Sql {
  all<T>(sql: string, ...params: SqlParam[]): Promise<T[]>;
  get<T>(sql: string, ...params: SqlParam[]): Promise<T | undefined>;
  /** The number of rows changed. */
  run(sql: string, ...params: SqlParam[]): Promise<number>;
}

/**
 * The workspace's state: one interface, kept in SQLite (workspace.db, the
 * default) or PostgreSQL (`--database postgres://...`, for replicas). A new
 * table is a step at the end of each store's migrations.
 */
export interface WorkspaceStore extends Sql {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Runs `fn` in one transaction, serialised with every other transaction that
   * names the same `lock`, in this process and every replica (SQLite: an
   * IMMEDIATE transaction, which serialises them all; PostgreSQL: a
   * transaction-scoped advisory lock). `fn` does database work only.
   */
  transaction<T>(lock: string, fn: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Like transaction, but answers as soon as `fn` is done, with the promise of its commit: a write that may share
   * one commit with the writes after it (a call's audit entry and its idempotency record). Whoever relies on it
   * awaits `committed` before answering anyone. Absent, transaction is used.
   */
  stage?<T>(lock: string, fn: (tx: Sql) => Promise<T>): Promise<{ result: T; committed: Promise<void> }>;
  /**
   * The SQLite file the API-key registry's copy lives in: workspace.db itself,
   * or, on PostgreSQL, one in memory that replays registry_changes.
   */
  readonly registryDb: Db;
  close(): Promise<void>;
}

/**
 * The workspace's SQLite file: the API-key registry (public keys only) and the
 * signed changes that made it, which it relays to every node; where each key
 * share lives; idempotency records (results sealed) and the append-only audit
 * log. No row holds a share, an identity or a private API key.
 */
const WORKSPACE_TABLES = `
CREATE TABLE IF NOT EXISTS registry_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  change TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS registry_synced (
  node_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS shares (
  key_id TEXT PRIMARY KEY,
  node_id TEXT NOT NULL,
  group_public_key TEXT NOT NULL,
  identifier TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS idempotency (
  api_key_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  component TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  owner TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'done')),
  status INTEGER,
  sealed_response BLOB,
  session_id TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (api_key_id, idempotency_key)
) STRICT;
CREATE TABLE IF NOT EXISTS dkg_results (
  api_key_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  session_id TEXT NOT NULL UNIQUE,
  result TEXT NOT NULL,
  PRIMARY KEY (api_key_id, idempotency_key)
) STRICT;
CREATE TABLE IF NOT EXISTS approval_requests (
  approval_request_id TEXT PRIMARY KEY,
  requester TEXT NOT NULL,
  component TEXT NOT NULL,
  request TEXT NOT NULL,
  required INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'executed', 'failed')),
  outcome TEXT,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS approvals (
  approval_request_id TEXT NOT NULL REFERENCES approval_requests (approval_request_id),
  approver TEXT NOT NULL,
  approval TEXT NOT NULL,
  PRIMARY KEY (approval_request_id, approver)
) STRICT;
CREATE TABLE IF NOT EXISTS pending_dkg_aborts (
  session_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (session_id, node_id)
) STRICT;
`;

/** Workflow runs (workflow-runs.ts has their statements). */
const WORKFLOW_RUNS = `
CREATE TABLE workflow_runs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL UNIQUE,
  created_by TEXT NOT NULL,
  workflow TEXT NOT NULL,
  definition TEXT NOT NULL,
  inputs TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'waiting', 'completed', 'failed')),
  waiting_at TEXT,
  failed_at TEXT,
  steps TEXT NOT NULL,
  sealed_results BLOB,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX workflow_runs_status ON workflow_runs (status, seq);
`;

/**
 * workspace.db's versions (see @wr/server migrations.ts). Version 1 is every
 * table of the layout, made if missing: it adopts files from before
 * workspace.db carried a version, which hold some of them (and version 2 deals
 * with what they held that is no longer used). Its SQL is frozen; a later change
 * to a table is a step 3, 4... of its own.
 */
const MIGRATIONS: Migration[] = [
  { version: 1, description: 'the tables', up: (db) => db.exec(SEALED_SECRETS_SCHEMA + REGISTRY_SCHEMA + AUDIT_SCHEMA + WORKSPACE_TABLES) },
  {
    version: 2,
    description: 'hashed bearer keys dropped, the unkeyed audit chain kept aside',
    up: (db) => {
      // Version 1 stored hashes of bearer API keys, which no longer authenticate anything, and an
      // unkeyed audit chain, which proves nothing: it starts again, keyed (the old one is kept aside).
      db.exec('DROP TABLE IF EXISTS api_keys');
      const keptAside = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'audit_log_v1'").get() !== undefined;
      if (!keptAside && (db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n > 0) {
        db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; ALTER TABLE audit_log RENAME TO audit_log_v1;');
        db.exec(AUDIT_SCHEMA);
      }
    },
  },
  {
    version: 3,
    description: 'refreshes confirmed by every holder, for a retry to commit',
    up: (db) =>
      db.exec(`CREATE TABLE refresh_results (
  api_key_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  session_id TEXT NOT NULL UNIQUE,
  result TEXT NOT NULL,
  committed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (api_key_id, idempotency_key)
) STRICT;`),
  },
  {
    version: 4,
    description: 'idempotency records leased by the process that runs them',
    // A running record is another live replica's until its lease runs out: only then is it taken over.
    up: (db) => db.exec('ALTER TABLE idempotency ADD COLUMN lease_until INTEGER'),
  },
  { version: 5, description: 'workflow runs, recorded as their steps are relayed', up: (db) => db.exec(WORKFLOW_RUNS) },
];

export function openWorkspaceDb(file: string): Db {
  const db = openDatabase(file);
  migrate(db, `workspace database ${file}`, MIGRATIONS);
  return db;
}

/** Transactions that share one SQLite transaction, and so one commit. */
interface Group {
  /** Settles once the group's commit is on disk (or failed: then nothing of it was kept). */
  committed: Promise<void>;
  /** The same, never rejecting: what a reader waits for. */
  settled: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * workspace.db behind the async interface. better-sqlite3 answers at once;
 * a transaction spans awaits, so statements from other calls of this process
 * wait for it (one connection), and BEGIN IMMEDIATE keeps other processes out.
 *
 * Group commit: a commit with full fsync blocks the thread for milliseconds,
 * so the transactions of one turn of the event loop share one. Each runs in a
 * savepoint of an open SQLite transaction (a failure is undone alone), and
 * resolves only once that transaction is committed at the next turn: nothing
 * is answered before it is on disk. A read outside a transaction is answered
 * only once the group it may have seen is committed, so nothing read is acted
 * on before it is durable.
 */
export class SqliteWorkspaceStore implements WorkspaceStore {
  readonly kind = 'sqlite';
  /** Set while a transaction (or a group's commit) runs: everything else on this connection waits for it. */
  #busy: Promise<void> | undefined;
  /** The open SQLite transaction that finished transactions wait to see committed. */
  #group: Group | undefined;

  constructor(readonly db: Db) {}

  get registryDb(): Db {
    return this.db;
  }

  static open(file: string): SqliteWorkspaceStore {
    return new SqliteWorkspaceStore(openWorkspaceDb(file));
  }

  /** No transaction running and none waiting for its commit. */
  async #idle(): Promise<void> {
    while (this.#busy || this.#group) await (this.#busy ?? this.#group!.settled);
  }

  /** Takes the connection: resolves with the function that gives it back. No await between the last look and taking it. */
  async #take(): Promise<() => void> {
    while (this.#busy) await this.#busy;
    let done!: () => void;
    this.#busy = new Promise((r) => (done = r));
    return () => {
      this.#busy = undefined;
      done();
    };
  }

  /** The open group, or a new one (BEGIN IMMEDIATE) committed at the next turn. Called holding the connection. */
  #joinGroup(): Group {
    if (this.#group) return this.#group;
    this.db.exec('BEGIN IMMEDIATE');
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const committed = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    // Its members may all have failed, with nobody left to wait on it.
    committed.catch(() => undefined);
    const group: Group = { committed, settled: committed.catch(() => undefined), resolve, reject };
    this.#group = group;
    setImmediate(() => void this.#commit(group));
    return group;
  }

  async #commit(group: Group): Promise<void> {
    const release = await this.#take();
    try {
      // Already failed whole (see transaction).
      if (this.#group !== group) return;
      this.#group = undefined;
      this.db.exec('COMMIT');
      group.resolve();
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      group.reject(err);
    } finally {
      release();
    }
  }

  #sql: Sql = {
    all: async <T>(sql: string, ...params: SqlParam[]) => this.db.prepare(sql).all(...params) as T[],
    get: async <T>(sql: string, ...params: SqlParam[]) => this.db.prepare(sql).get(...params) as T | undefined,
    run: async (sql: string, ...params: SqlParam[]) => this.db.prepare(sql).run(...params).changes,
  };

  /**
   * A read outside a transaction: between transactions, and answered once the group it may have seen is committed.
   * It waits for that group alone, so a steady stream of writes never holds it back for longer than one commit.
   */
  async #read<T>(read: () => Promise<T>): Promise<T> {
    while (this.#busy) await this.#busy;
    const group = this.#group;
    const result = await read();
    if (group) await group.committed;
    return result;
  }

  all<T>(sql: string, ...params: SqlParam[]): Promise<T[]> {
    return this.#read(() => this.#sql.all<T>(sql, ...params));
  }

  get<T>(sql: string, ...params: SqlParam[]): Promise<T | undefined> {
    return this.#read(() => this.#sql.get<T>(sql, ...params));
  }

  /** A write: a transaction of one statement, committed with its group. */
  run(sql: string, ...params: SqlParam[]): Promise<number> {
    return this.transaction('', (tx) => tx.run(sql, ...params));
  }

  async transaction<T>(lock: string, fn: (tx: Sql) => Promise<T>): Promise<T> {
    const { result, committed } = await this.stage(lock, fn);
    await committed;
    return result;
  }

  async stage<T>(_lock: string, fn: (tx: Sql) => Promise<T>): Promise<{ result: T; committed: Promise<void> }> {
    const release = await this.#take();
    let group: Group;
    let result: T;
    try {
      group = this.#joinGroup();
      this.db.exec('SAVEPOINT tx');
      try {
        result = await fn(this.#sql);
        this.db.exec('RELEASE tx');
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK TO tx; RELEASE tx');
        else if (this.#group === group) {
          // An error that ended the whole SQLite transaction took the group's finished work with it.
          this.#group = undefined;
          group.reject(err);
        }
        throw err;
      }
    } finally {
      release();
    }
    return { result, committed: group.committed };
  }

  async close(): Promise<void> {
    await this.#idle();
    this.db.close();
  }
}
