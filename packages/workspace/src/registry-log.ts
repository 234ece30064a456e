import type { CallerAuth } from '@wr/api';
import type { ApiKeyRegistry } from '@wr/server';
import type { Sql, WorkspaceStore } from './store.js';

interface ChangeRow {
  seq: number;
  change: string;
}

/** A change is dated by its signature's time, so every copy that replays it agrees. */
const dateOf = (change: CallerAuth) => new Date(change.timestamp).toISOString();

/**
 * The registry's one order: registry_changes, the admin-signed changes in the
 * order they were accepted. Each replica's ApiKeyRegistry is that log applied
 * in order (on SQLite, workspace.db's own tables, which are the log applied
 * already; on PostgreSQL, a copy in memory rebuilt at start). A change is
 * accepted under one database lock, after the copy has caught up with every
 * change before it, so all copies apply the same changes to the same state.
 * Before each call the copy catches up, so a key revoked on one replica is
 * refused by the next call to any.
 */
export class RegistryLog {
  #applied = 0;
  #catchingUp: Promise<void> | undefined;
  #accepting: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: WorkspaceStore,
    readonly registry: ApiKeyRegistry,
  ) {}

  static async open(store: WorkspaceStore, registry: ApiKeyRegistry): Promise<RegistryLog> {
    const log = new RegistryLog(store, registry);
    // workspace.db's registry tables hold every change of its log already: only later ones are applied.
    if (store.kind === 'sqlite') log.#applied = (await store.get<{ seq: number | null }>('SELECT max(seq) AS seq FROM registry_changes'))?.seq ?? 0;
    else {
      // The root admin key is no change of the log: each copy registered it as it started, dated then. Every copy dates it
      // from when the database was set up instead, so that all replicas, and every restart, list it alike (as workspace.db
      // keeps its first date). Before any call, so no copy has handed out the other date.
      const setUp = await store.get<{ at: Date }>('SELECT applied_at AS at FROM schema_migrations WHERE version = 1');
      if (setUp) store.registryDb.prepare("UPDATE api_key_registry SET created_at = ? WHERE created_by = 'setup'").run(setUp.at.toISOString());
    }
    await log.catchUp();
    return log;
  }

  /** Applies the changes other replicas accepted since the last look. One look at a time; a call meanwhile shares it. */
  catchUp(): Promise<void> {
    this.#catchingUp ??= this.#replay(this.store).finally(() => (this.#catchingUp = undefined));
    return this.#catchingUp;
  }

  async #replay(sql: Sql): Promise<void> {
    const rows = await sql.all<ChangeRow>('SELECT seq, change FROM registry_changes WHERE seq > ? ORDER BY seq', this.#applied);
    for (const r of rows) {
      if (r.seq <= this.#applied) continue;
      const change = JSON.parse(r.change) as CallerAuth;
      try {
        this.registry.apply(change, dateOf(change));
      } catch {
        // Accepted against the same state, so refused nowhere; were it refused, it is refused alike on every copy.
      }
      this.#applied = r.seq;
    }
  }

  /** Accepts an admin-signed change: checked and applied here, then recorded as the next in the one order. */
  async accept(change: CallerAuth): Promise<{ apiKeyId: string; changed: boolean }> {
    const apply = () =>
      this.store.transaction('registry changes', async (tx) => {
        await this.#replay(tx);
        const applied = this.registry.apply(change, dateOf(change));
        this.#applied = (await tx.get<{ seq: number }>('INSERT INTO registry_changes (change) VALUES (?) RETURNING seq', JSON.stringify(change)))!.seq;
        return applied;
      });
    // On SQLite the registry's tables are in the transaction's own database.
    if (this.store.kind === 'sqlite') return apply();
    // On PostgreSQL the copy in memory keeps what was applied only once the log's transaction commits; if it fails,
    // the copy is as it was before, changes replayed meanwhile among them. One change at a time in this process.
    const accepted = this.#accepting.then(() => {
      const before = this.#applied;
      return this.registry.tentatively(apply).catch((err: unknown) => {
        this.#applied = before;
        throw err;
      });
    });
    this.#accepting = accepted.catch(() => undefined);
    return accepted;
  }
}
