import { createHash } from 'node:crypto';
import type { Db } from '@wr/server';

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);

interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  details: string;
  prev_hash: string;
  hash: string;
}

const toEntry = (r: AuditRow): AuditEntry => ({ seq: r.seq, at: r.at, actor: r.actor, action: r.action, details: JSON.parse(r.details), prevHash: r.prev_hash, hash: r.hash });

/** JSON with object keys sorted, so a hash does not depend on insertion order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function entryHash(e: Omit<AuditEntry, 'hash'>): string {
  const body = canonical({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, details: e.details });
  return createHash('sha256').update(e.prevHash).update('\n').update(body).digest('hex');
}

/**
 * The append-only audit log: every export, import, rewrap, create and delete,
 * each entry chained to the hash of the one before. Triggers refuse UPDATE and
 * DELETE; `verify` finds an entry changed behind the database's back.
 */
export class AuditLog {
  constructor(private readonly db: Db) {}

  append(actor: string, action: string, details: Record<string, unknown>): AuditEntry {
    return this.db.transaction(() => {
      const last = this.db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
      const e = { seq: (last?.seq ?? 0) + 1, at: new Date().toISOString(), actor, action, details, prevHash: last?.hash ?? GENESIS };
      const hash = entryHash(e);
      this.db
        .prepare('INSERT INTO audit_log (seq, at, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(e.seq, e.at, actor, action, canonical(details), e.prevHash, hash);
      return { ...e, hash };
    }).immediate();
  }

  list(after = 0, limit = 100): AuditEntry[] {
    return (this.db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?').all(after, limit) as AuditRow[]).map(toEntry);
  }

  verify(): { ok: boolean; entries: number; headHash: string; firstBadSeq?: number } {
    let prev = GENESIS;
    let n = 0;
    for (const row of this.db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as Iterable<AuditRow>) {
      n++;
      const e = toEntry(row);
      if (e.prevHash !== prev || e.hash !== entryHash({ ...e, prevHash: prev }) || e.seq !== n) return { ok: false, entries: n, headHash: prev, firstBadSeq: e.seq };
      prev = e.hash;
    }
    return { ok: true, entries: n, headHash: prev };
  }
}
