import { createHmac, hkdfSync } from 'node:crypto';
import { Secret, canonicalJson, fromHex, publicKeyOfSeed, signRaw, toHex, verifyRaw } from '@wr/common';
import type { Db } from './database.js';

/** The log's tables: entries (append-only, by trigger) and the signed head. Frozen: see migrations.ts. */
export const AUDIT_SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  signature TEXT NOT NULL
) STRICT;
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`;

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

/** An entry as its table holds it. */
export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  details: string;
  prev_hash: string;
  hash: string;
}

export const toEntry = (r: AuditRow): AuditEntry => ({
  seq: r.seq,
  at: r.at,
  actor: r.actor,
  action: r.action,
  details: JSON.parse(r.details),
  prevHash: r.prev_hash,
  hash: r.hash,
});

const headMessage = (seq: number, hash: string) => new TextEncoder().encode(`wr-audit-head-v1\n${seq}\n${hash}`);

/** What `verify` says of a log. */
export interface AuditVerdict {
  ok: boolean;
  entries: number;
  headHash: string;
  firstBadSeq?: number;
  problem?: string;
}

/** The signed head: the newest entry's seq and hash, signed by the log's key. */
export interface AuditHead {
  seq: number;
  hash: string;
  signature: string;
}

/**
 * The chain itself, apart from where it is stored: each entry chained to the
 * one before by an HMAC under a key derived from the master key (which lives
 * outside the database), and the newest entry's hash signed as the head. The
 * node's log (AuditLog, SQLite) and the workspace's (on either of its stores)
 * both keep their entries through it.
 */
export class AuditChain {
  readonly #chainKey: Buffer;
  readonly #signingKey: Secret<Uint8Array>;
  readonly publicKey: string;

  constructor(masterKey: Secret<Uint8Array>, signingKey: Secret<Uint8Array>) {
    this.#chainKey = Buffer.from(hkdfSync('sha256', masterKey.expose(), new Uint8Array(0), 'wr audit chain v1', 32));
    this.#signingKey = signingKey;
    this.publicKey = toHex(publicKeyOfSeed(signingKey));
  }

  #hash(e: Omit<AuditEntry, 'hash'>): string {
    const body = canonicalJson({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, details: e.details });
    return createHmac('sha256', this.#chainKey).update(e.prevHash).update('\n').update(body).digest('hex');
  }

  /** The entry after `last` (the newest stored, if any), and the head that then names it. */
  next(last: { seq: number; hash: string } | undefined, actor: string, action: string, given: Record<string, unknown>): { entry: AuditEntry; head: AuditHead } {
    // As JSON holds it: a field left undefined is no field.
    const details = JSON.parse(JSON.stringify(given)) as Record<string, unknown>;
    const e = { seq: (last?.seq ?? 0) + 1, at: new Date().toISOString(), actor, action, details, prevHash: last?.hash ?? GENESIS };
    const hash = this.#hash(e);
    return { entry: { ...e, hash }, head: { seq: e.seq, hash, signature: toHex(signRaw(this.#signingKey, headMessage(e.seq, hash))) } };
  }

  /** Checks entries in seq order, fed one at a time: `check` returns a verdict at the first bad one, `end` the verdict with the head. */
  verifier(): { check(row: AuditRow): AuditVerdict | undefined; end(head: AuditHead | undefined): AuditVerdict } {
    let prev = GENESIS;
    let n = 0;
    return {
      check: (row) => {
        n++;
        const e = toEntry(row);
        if (e.prevHash !== prev || e.hash !== this.#hash({ ...e, prevHash: prev }) || e.seq !== n) {
          return { ok: false, entries: n, headHash: prev, firstBadSeq: e.seq, problem: `entry ${e.seq} was changed, or an entry before it removed` };
        }
        prev = e.hash;
        return undefined;
      },
      end: (head) => {
        if (n === 0 && !head) return { ok: true, entries: 0, headHash: prev };
        if (!head || !verifyRaw(fromHex(this.publicKey, 'publicKey', 32), headMessage(head.seq, head.hash), fromHex(head.signature, 'signature', 64))) {
          return { ok: false, entries: n, headHash: prev, problem: 'the signed head is missing or its signature does not verify' };
        }
        if (head.seq !== n || head.hash !== prev) {
          return {
            ok: false,
            entries: n,
            headHash: prev,
            firstBadSeq: Math.min(head.seq, n + 1),
            problem: `the signed head names entry ${head.seq}, but the log ends at ${n}: entries were cut off`,
          };
        }
        return { ok: true, entries: n, headHash: prev };
      },
    };
  }
}

/**
 * A node's append-only audit log (what that node did, and for whom), in its
 * SQLite file, chained and signed by AuditChain. With the database alone, an
 * entry cannot be changed and the chain computed again, and the tail cannot be
 * cut off, without `verify` seeing it. Triggers refuse UPDATE and DELETE besides.
 */
export class AuditLog {
  readonly #chain: AuditChain;
  readonly publicKey: string;

  constructor(
    private readonly db: Db,
    masterKey: Secret<Uint8Array>,
    signingKey: Secret<Uint8Array>,
  ) {
    this.#chain = new AuditChain(masterKey, signingKey);
    this.publicKey = this.#chain.publicKey;
  }

  append(actor: string, action: string, given: Record<string, unknown>): AuditEntry {
    return this.db
      .transaction(() => {
        const last = this.db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
        const { entry: e, head } = this.#chain.next(last, actor, action, given);
        this.db
          .prepare('INSERT INTO audit_log (seq, at, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(e.seq, e.at, e.actor, e.action, canonicalJson(e.details), e.prevHash, e.hash);
        this.db
          .prepare(
            'INSERT INTO audit_head (id, seq, hash, signature) VALUES (1, ?, ?, ?) ON CONFLICT (id) ' +
              'DO UPDATE SET seq = excluded.seq, hash = excluded.hash, signature = excluded.signature',
          )
          .run(head.seq, head.hash, head.signature);
        return e;
      })
      .immediate();
  }

  list(after = 0, limit = 100): AuditEntry[] {
    return (this.db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?').all(after, limit) as AuditRow[]).map(toEntry);
  }

  verify(): AuditVerdict {
    const v = this.#chain.verifier();
    for (const row of this.db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as Iterable<AuditRow>) {
      const bad = v.check(row);
      if (bad) return bad;
    }
    return v.end(this.db.prepare('SELECT seq, hash, signature FROM audit_head WHERE id = 1').get() as AuditHead | undefined);
  }
}
