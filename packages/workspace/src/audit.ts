import { canonicalJson, type Secret } from '@wr/common';
import { AuditChain, toEntry, type AuditEntry, type AuditHead, type AuditRow, type AuditVerdict } from '@wr/server';
import type { Sql, WorkspaceStore } from './store.js';

/**
 * The workspace's audit log (every call it ran), on its store: the chain of
 * AuditChain, its appends serialised in the database (one lock, taken by every
 * replica), so replicas writing at once still make one chain, never a fork.
 */
export class WorkspaceAuditLog {
  readonly #chain: AuditChain;
  readonly publicKey: string;

  constructor(
    private readonly store: WorkspaceStore,
    masterKey: Secret<Uint8Array>,
    signingKey: Secret<Uint8Array>,
  ) {
    this.#chain = new AuditChain(masterKey, signingKey);
    this.publicKey = this.#chain.publicKey;
  }

  /**
   * Appends an entry. Given a call that collects `durable` writes (a call the server answers), the entry is staged:
   * this answers once it is written, its commit goes into `call.durable`, and the server answers the call only once
   * that commit is on disk; so the entry shares its commit with the call's idempotency record.
   */
  async append(actor: string, action: string, given: Record<string, unknown>, call?: { durable?: Promise<unknown>[] }): Promise<AuditEntry> {
    if (call?.durable && this.store.stage) {
      const { result, committed } = await this.store.stage('audit log', (tx) => this.#write(tx, actor, action, given));
      call.durable.push(committed);
      return result;
    }
    return this.store.transaction('audit log', (tx) => this.#write(tx, actor, action, given));
  }

  async #write(tx: Sql, actor: string, action: string, given: Record<string, unknown>): Promise<AuditEntry> {
    const last = await tx.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    const { entry: e, head } = this.#chain.next(last, actor, action, given);
    await tx.run(
      'INSERT INTO audit_log (seq, at, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
      e.seq,
      e.at,
      e.actor,
      e.action,
      canonicalJson(e.details),
      e.prevHash,
      e.hash,
    );
    await tx.run(
      'INSERT INTO audit_head (id, seq, hash, signature) VALUES (1, ?, ?, ?) ON CONFLICT (id) ' +
        'DO UPDATE SET seq = excluded.seq, hash = excluded.hash, signature = excluded.signature',
      head.seq,
      head.hash,
      head.signature,
    );
    return e;
  }

  async list(after = 0, limit = 100): Promise<AuditEntry[]> {
    // A caller's `after` may be any integer; PostgreSQL's BIGINT refuses one past 2^63. No seq comes near 2^53.
    const from = Math.min(after, Number.MAX_SAFE_INTEGER);
    return (await this.store.all<AuditRow>('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?', from, limit)).map(toEntry);
  }

  /** Reads the log a page at a time, with the head as it stood when reading began (an append meanwhile is past it). */
  async verify(): Promise<AuditVerdict> {
    const v = this.#chain.verifier();
    const head = await this.store.get<AuditHead>('SELECT seq, hash, signature FROM audit_head WHERE id = 1');
    const end = head?.seq ?? 0;
    for (let after = 0; ;) {
      const rows = await this.store.all<AuditRow>('SELECT * FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT 1000', after, end);
      if (rows.length === 0) break;
      for (const row of rows) {
        const bad = v.check(row);
        if (bad) return bad;
      }
      after = rows[rows.length - 1]!.seq;
    }
    // Rows past the head that was read: a tail the signed head does not cover (a concurrent append, or an entry slipped in).
    const beyond = await this.store.get<{ n: number }>('SELECT count(*) AS n FROM audit_log WHERE seq > ?', end);
    const verdict = v.end(head);
    if (!verdict.ok || !beyond || beyond.n === 0) return verdict;
    const latest = await this.store.get<AuditHead>('SELECT seq, hash, signature FROM audit_head WHERE id = 1');
    return latest && latest.seq !== end ? verdict : { ...verdict, ok: false, problem: `entries after ${end} are not covered by the signed head` };
  }
}
