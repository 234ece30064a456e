import { createHash } from 'node:crypto';
import pg from 'pg';
import { WrError } from '@wr/common';
import { REGISTRY_SCHEMA, openDatabase, type Db } from '@wr/server';
import type { Sql, SqlParam, WorkspaceStore } from './store.js';

/**
 * The workspace's tables on PostgreSQL: those of workspace.db (store.ts) at its
 * latest version, less the API-key registry, which each replica rebuilds in
 * memory from registry_changes. `rowid` is declared where SQLite's implicit one
 * is read (insertion order). BIGINTs come back as numbers (see INT8 below).
 */
const TABLES = `
CREATE TABLE sealed_secrets (
  name TEXT PRIMARY KEY,
  public TEXT NOT NULL,
  sealed BYTEA NOT NULL
);
CREATE TABLE registry_changes (
  seq BIGSERIAL PRIMARY KEY,
  change TEXT NOT NULL
);
CREATE TABLE registry_synced (
  node_id TEXT PRIMARY KEY,
  seq BIGINT NOT NULL
);
CREATE TABLE shares (
  key_id TEXT PRIMARY KEY,
  node_id TEXT NOT NULL,
  group_public_key TEXT NOT NULL,
  identifier TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE idempotency (
  api_key_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  component TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  owner TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'done')),
  status INTEGER,
  sealed_response BYTEA,
  session_id TEXT,
  created_at TEXT NOT NULL,
  lease_until BIGINT,
  PRIMARY KEY (api_key_id, idempotency_key)
);
CREATE TABLE dkg_results (
  api_key_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  session_id TEXT NOT NULL UNIQUE,
  result TEXT NOT NULL,
  PRIMARY KEY (api_key_id, idempotency_key)
);
CREATE TABLE approval_requests (
  rowid BIGSERIAL UNIQUE,
  approval_request_id TEXT PRIMARY KEY,
  requester TEXT NOT NULL,
  component TEXT NOT NULL,
  request TEXT NOT NULL,
  required INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'executed', 'failed')),
  outcome TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE approvals (
  rowid BIGSERIAL UNIQUE,
  approval_request_id TEXT NOT NULL REFERENCES approval_requests (approval_request_id),
  approver TEXT NOT NULL,
  approval TEXT NOT NULL,
  PRIMARY KEY (approval_request_id, approver)
);
CREATE TABLE pending_dkg_aborts (
  session_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (session_id, node_id)
);
CREATE TABLE refresh_results (
  api_key_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  session_id TEXT NOT NULL UNIQUE,
  result TEXT NOT NULL,
  committed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (api_key_id, idempotency_key)
);
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL,
  hash TEXT NOT NULL,
  signature TEXT NOT NULL
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
`;

/** Workflow runs (workflow-runs.ts has their statements). */
const WORKFLOW_RUNS = `
CREATE TABLE workflow_runs (
  seq BIGSERIAL PRIMARY KEY,
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
  sealed_results BYTEA,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX workflow_runs_status ON workflow_runs (status, seq);
`;

/** One step of the PostgreSQL schema: like workspace.db's (store.ts), frozen once released; a change is a new step. */
export interface PgMigration {
  version: number;
  description: string;
  sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  { version: 1, description: 'the tables', sql: TABLES },
  { version: 2, description: 'workflow runs, recorded as their steps are relayed', sql: WORKFLOW_RUNS },
];

/** A 64-bit advisory lock key for a name: the same on every replica. */
export function advisoryKey(name: string): string {
  return createHash('sha256').update(`wr workspace lock ${name}`).digest().readBigInt64BE(0).toString();
}

/**
 * Brings the database to the last version of `migrations`, recorded in
 * schema_migrations. Replicas starting at once take turns under a session
 * advisory lock; each step runs in its own transaction with its row, so a
 * crash leaves the database at the step before. A database newer than this
 * code is refused.
 */
export async function migratePostgres(client: pg.ClientBase, name: string, migrations: readonly PgMigration[] = PG_MIGRATIONS): Promise<void> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${name}: migration ${i + 1} is numbered ${m.version}; steps are numbered 1, 2, 3... in order`);
  });
  const lock = advisoryKey('schema migrations');
  await client.query('SELECT pg_advisory_lock($1)', [lock]);
  try {
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    const current = Number((await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations')).rows[0]?.v ?? 0);
    if (current > migrations.length) {
      throw new Error(`${name} is at schema version ${current}, newer than this version of wr knows (${migrations.length}): run the wr release that wrote it`);
    }
    for (const m of migrations.slice(current)) {
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [m.version, m.description]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`${name}: migration to version ${m.version} (${m.description}) failed: ${(err as Error).message}`, { cause: err });
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [lock]);
  }
}

/** `?` placeholders as PostgreSQL's `$1, $2...` (the workspace's SQL has no `?` inside strings). */
const numbered = (sql: string) => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

// BIGINT (oid 20) as a number: seqs and times in milliseconds stay far below 2^53.
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** SQLSTATEs of a server out of reach for now: connection exceptions (08), shutting down or starting (57P01-3), full (53300). */
const UNREACHABLE_STATE = /^(08...|57P0[123]|53300)$/;
/** Socket errors on the way to the server. */
const UNREACHABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** pg's own errors for a connection that ended or never came, which carry no code. */
const UNREACHABLE_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * A database out of reach is the workspace unavailable for the moment (WORKSPACE_UNAVAILABLE, retryable: the SDK
 * retries, on another replica if it knows one), not an internal error. Anything else (a statement refused) is left as
 * it is. The caller is not told where the database is; the cause, kept for the log, says what happened.
 */
export function unreachableAsUnavailable(err: unknown): unknown {
  if (err instanceof WrError || !(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  const unreachable = (typeof code === 'string' && (UNREACHABLE_STATE.test(code) || UNREACHABLE_ERRNO.has(code))) || UNREACHABLE_MESSAGE.test(err.message);
  return unreachable
    ? new WrError('WORKSPACE_UNAVAILABLE', "the workspace's database did not answer: retry in a moment", { retryable: true, cause: err })
    : err;
}

const sqlOn = (send: (text: string, params: SqlParam[]) => Promise<pg.QueryResult>): Sql => {
  const q = (text: string, params: SqlParam[]) =>
    send(numbered(text), params).catch((err: unknown) => {
      throw unreachableAsUnavailable(err);
    });
  return {
    all: async <T>(sql: string, ...params: SqlParam[]) => (await q(sql, params)).rows as T[],
    get: async <T>(sql: string, ...params: SqlParam[]) => (await q(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, ...params: SqlParam[]) => (await q(sql, params)).rowCount ?? 0,
  };
};

/** A URL's user, host and database, never its password: what an error may name. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres://${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host || u.searchParams.get('host') || 'localhost'}${u.pathname}`;
  } catch {
    return 'the database URL';
  }
}

/** The workspace's state in PostgreSQL, shared by every replica pointed at it. */
export class PostgresWorkspaceStore implements WorkspaceStore {
  readonly kind = 'postgres';
  readonly #sql: Sql;

  private constructor(
    private readonly pool: pg.Pool,
    readonly registryDb: Db,
  ) {
    this.#sql = sqlOn((text, params) => pool.query(text, params));
  }

  /** Connects, brings the schema to this code's version, and opens the in-memory registry copy. */
  static async open(url: string): Promise<PostgresWorkspaceStore> {
    const name = describeDatabaseUrl(url);
    const pool = new pg.Pool({ connectionString: url, types, max: 10, connectionTimeoutMillis: 10_000 });
    // An idle connection that breaks (the server restarts) is dropped by the pool; the error must not end the process.
    pool.on('error', () => undefined);
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      await pool.end();
      throw new WrError('CONFIG_INVALID', `database: cannot connect to ${name} (${(err as Error).message}): check the URL, and that PostgreSQL runs`, {
        param: 'database',
      });
    }
    try {
      await migratePostgres(client, name);
    } catch (err) {
      client.release();
      await pool.end();
      throw err;
    }
    client.release();
    const registryDb = openDatabase(':memory:');
    registryDb.exec(REGISTRY_SCHEMA);
    return new PostgresWorkspaceStore(pool, registryDb);
  }

  all<T>(sql: string, ...params: SqlParam[]): Promise<T[]> {
    return this.#sql.all<T>(sql, ...params);
  }

  get<T>(sql: string, ...params: SqlParam[]): Promise<T | undefined> {
    return this.#sql.get<T>(sql, ...params);
  }

  run(sql: string, ...params: SqlParam[]): Promise<number> {
    return this.#sql.run(sql, ...params);
  }

  async transaction<T>(lock: string, fn: (tx: Sql) => Promise<T>): Promise<T> {
    try {
      return await this.#transaction(lock, fn);
    } catch (err) {
      // Taking a connection, BEGIN and COMMIT included (a lost COMMIT may have landed: a retry finds what it left).
      throw unreachableAsUnavailable(err);
    }
  }

  async #transaction<T>(lock: string, fn: (tx: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    // A connection lost between statements (the server restarts, the session is ended) is an 'error' event of a client
    // the pool has handed out, which it no longer listens to: unheard, it would end the process. The next statement
    // fails with it instead, and the client is dropped, not reused.
    const lost = () => (broken = true);
    client.on('error', lost);
    try {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [advisoryKey(lock)]);
        const result = await fn(sqlOn((text, params) => client.query(text, params)));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw err;
      }
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
    this.registryDb.close();
  }
}
