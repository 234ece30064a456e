import { createHash } from 'node:crypto';
import { AUDIT_SCHEMA, REGISTRY_SCHEMA, SEALED_SECRETS_SCHEMA, Sealer, loadSealedSecret, migrate, openDatabase, type Db, type Migration } from '@wr/server';
import { Secret, WrError, newKeyId } from '@wr/common';

/** The roster this node holds (roster.ts). Frozen: see @wr/server migrations.ts. */
const ROSTER_SCHEMA = `
CREATE TABLE IF NOT EXISTS roster (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL,
  signed TEXT NOT NULL
) STRICT;
`;

/**
 * The node's SQLite file. A share's signing share is sealed (AES-256-GCM under a
 * key derived from the node master key) and bound to every column that decides
 * what may be done with it, so a row changed behind the node's back no longer
 * opens. An insert is one transaction, and (group key, identifier) is unique,
 * so an import seen twice, concurrently or after a crash, yields one row.
 *
 * A node holds at most one identifier of a key (two would let it sign alone),
 * and a deleted share leaves a tombstone: that share, or an older epoch of it,
 * is never taken in again.
 */
const NODE_TABLES = `
CREATE TABLE IF NOT EXISTS used_calls (
  id TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS shares (
  key_id TEXT PRIMARY KEY,
  scheme TEXT NOT NULL,
  group_public_key TEXT NOT NULL,
  identifier TEXT NOT NULL,
  min_signers INTEGER NOT NULL,
  max_signers INTEGER NOT NULL,
  public_package TEXT NOT NULL,
  sealed_share BLOB NOT NULL,
  origin TEXT NOT NULL CHECK (origin IN ('generated', 'imported')),
  exportable INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  dkg_session TEXT UNIQUE,
  created_at TEXT NOT NULL,
  UNIQUE (group_public_key, identifier)
) STRICT;
CREATE TABLE IF NOT EXISTS dkg_pending (
  key_id TEXT PRIMARY KEY REFERENCES shares (key_id) ON DELETE CASCADE
) STRICT;
CREATE TABLE IF NOT EXISTS tombstones (
  group_public_key TEXT NOT NULL,
  identifier TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  deleted_at TEXT NOT NULL,
  PRIMARY KEY (group_public_key, identifier)
) STRICT;
`;

/**
 * node.db's versions (see @wr/server migrations.ts). Version 1 is every table
 * of the layout, made if missing: it adopts files from before node.db carried a
 * version, which hold some of them. Its SQL is frozen; a later change to a
 * table is a step 3, 4... of its own.
 */
function nodeMigrations(reseal: (db: Db) => void): Migration[] {
  return [
    { version: 1, description: 'the tables', up: (db) => db.exec(SEALED_SECRETS_SCHEMA + REGISTRY_SCHEMA + ROSTER_SCHEMA + AUDIT_SCHEMA + NODE_TABLES) },
    { version: 2, description: 'every share sealed again, bound to its governing columns', up: reseal },
  ];
}

export interface ShareRow {
  keyId: string;
  scheme: string;
  groupPublicKey: string;
  identifier: string;
  minSigners: number;
  maxSigners: number;
  publicPackage: string;
  origin: 'generated' | 'imported';
  exportable: boolean;
  epoch: number;
  createdAt: string;
}

export interface NewShare extends Omit<ShareRow, 'keyId' | 'createdAt'> {
  signingShare: Secret<Uint8Array>;
  dkgSession?: string;
}

interface RawRow {
  key_id: string;
  scheme: string;
  group_public_key: string;
  identifier: string;
  min_signers: number;
  max_signers: number;
  public_package: string;
  origin: 'generated' | 'imported';
  exportable: number;
  epoch: number;
  created_at: string;
}

const COLUMNS = 'key_id, scheme, group_public_key, identifier, min_signers, max_signers, public_package, origin, exportable, epoch, created_at';

function toRow(r: RawRow): ShareRow {
  return {
    keyId: r.key_id,
    scheme: r.scheme,
    groupPublicKey: r.group_public_key,
    identifier: r.identifier,
    minSigners: r.min_signers,
    maxSigners: r.max_signers,
    publicPackage: r.public_package,
    origin: r.origin,
    exportable: r.exportable === 1,
    epoch: r.epoch,
    createdAt: r.created_at,
  };
}

/** Everything that governs a share's use, bound into its seal: change any column and the share no longer opens. */
function shareAad(r: Omit<ShareRow, 'createdAt'>): string {
  const pkg = createHash('sha256').update(r.publicPackage).digest('hex');
  return (
    `share v2 ${r.keyId} ${r.scheme} ${r.groupPublicKey} ${r.identifier} ${r.minSigners} ` +
    `${r.maxSigners} ${r.origin} ${r.exportable ? 1 : 0} ${r.epoch} ${pkg}`
  );
}

export class ShareStore {
  readonly db: Db;
  #sealer: Sealer;

  constructor(file: string, masterKey: Secret<Uint8Array>) {
    this.db = openDatabase(file);
    this.#sealer = new Sealer(masterKey, 'node');
    migrate(
      this.db,
      `node database ${file}`,
      nodeMigrations((db) => this.#reseal(db)),
    );
  }

  /** Version 2 binds every governing column into a share's seal: rows sealed under version 1 are sealed again. */
  #reseal(db: Db): void {
    const rows = db.prepare(`SELECT ${COLUMNS}, sealed_share FROM shares`).all() as (RawRow & { sealed_share: Buffer })[];
    const update = db.prepare('UPDATE shares SET sealed_share = ? WHERE key_id = ?');
    for (const raw of rows) {
      const row = toRow(raw);
      const share = this.#sealer.open(raw.sealed_share, `share ${row.keyId} ${row.groupPublicKey} ${row.identifier}`);
      update.run(this.#sealer.seal(share.expose(), shareAad(row)), row.keyId);
      share.destroy();
    }
  }

  /** A sealed node secret (identity or signing key), made on first start. */
  nodeSecret(name: string, make: () => Promise<{ secret: Secret<Uint8Array>; public: string }>) {
    return loadSealedSecret(this.db, this.#sealer, name, make);
  }

  /**
   * Stores a share, or returns the keyId of the same share (group key and
   * identifier) already held. `created` tells which.
   */
  insert(share: NewShare, now: string): { keyId: string; created: boolean } {
    return this.db
      .transaction(() => {
        if (share.dkgSession) {
          const bySession = this.db.prepare('SELECT key_id FROM shares WHERE dkg_session = ?').get(share.dkgSession) as { key_id: string } | undefined;
          if (bySession) return { keyId: bySession.key_id, created: false };
        }
        const tomb = this.db
          .prepare('SELECT epoch FROM tombstones WHERE group_public_key = ? AND identifier = ?')
          .get(share.groupPublicKey, share.identifier) as { epoch: number } | undefined;
        if (tomb && share.epoch <= tomb.epoch) {
          throw new WrError(
            'SHARE_RETIRED',
            `this node deleted participant ${share.identifier} of key ${share.groupPublicKey} ` +
              `at epoch ${tomb.epoch}; a copy of epoch ${share.epoch} is refused`,
          );
        }
        const held = this.db.prepare(`SELECT ${COLUMNS} FROM shares WHERE group_public_key = ?`).all(share.groupPublicKey) as RawRow[];
        for (const h of held.map(toRow)) {
          if (h.identifier !== share.identifier) {
            throw new WrError(
              'CONFLICT',
              `this node already holds participant ${h.identifier} of this key (${h.keyId}); one node never holds two shares of a key, or it could sign alone`,
            );
          }
          if (share.epoch < h.epoch)
            throw new WrError('SHARE_RETIRED', `this node holds epoch ${h.epoch} of this share (${h.keyId}); a copy of epoch ${share.epoch} is refused`);
          if (share.epoch > h.epoch)
            throw new WrError(
              'CONFLICT',
              `this node holds epoch ${h.epoch} of this share (${h.keyId}); refresh the key instead of importing epoch ${share.epoch}`,
            );
          return { keyId: h.keyId, created: false };
        }
        const keyId = newKeyId();
        const sealed = this.#sealer.seal(share.signingShare.expose(), shareAad({ ...share, keyId }));
        this.db
          .prepare(
            `INSERT INTO shares (key_id, scheme, group_public_key, identifier, min_signers, max_signers,` +
              ` public_package, sealed_share, origin, exportable, epoch, dkg_session, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            keyId,
            share.scheme,
            share.groupPublicKey,
            share.identifier,
            share.minSigners,
            share.maxSigners,
            share.publicPackage,
            sealed,
            share.origin,
            share.exportable ? 1 : 0,
            share.epoch,
            share.dkgSession ?? null,
            now,
          );
        if (share.dkgSession) this.db.prepare('INSERT INTO dkg_pending (key_id) VALUES (?)').run(keyId);
        return { keyId, created: true };
      })
      .immediate();
  }

  get(keyId: string): ShareRow | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM shares WHERE key_id = ?`).get(keyId) as RawRow | undefined;
    return r && toRow(r);
  }

  /** A share this node holds of the same key under another identifier, if any. */
  otherShareOf(groupPublicKey: string, identifier: string): ShareRow | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM shares WHERE group_public_key = ? AND identifier != ? LIMIT 1`).get(groupPublicKey, identifier) as
      RawRow | undefined;
    return r && toRow(r);
  }

  bySession(dkgSession: string): ShareRow | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM shares WHERE dkg_session = ?`).get(dkgSession) as RawRow | undefined;
    return r && toRow(r);
  }

  /**
   * A share from a DKG is pending until the workspace commits it, once every
   * participant stored its share. Only a pending share can be aborted: a
   * committed one is deleted only at a caller's signed request.
   */
  isPending(keyId: string): boolean {
    return this.db.prepare('SELECT 1 FROM dkg_pending WHERE key_id = ?').get(keyId) !== undefined;
  }

  commit(keyId: string): void {
    this.db.prepare('DELETE FROM dkg_pending WHERE key_id = ?').run(keyId);
  }

  /** Up to `limit` shares in key id order, after the key id `after` when given (a keyset page). */
  list(after: string | undefined, limit: number): ShareRow[] {
    const rows = this.db.prepare(`SELECT ${COLUMNS} FROM shares WHERE key_id > ? ORDER BY key_id LIMIT ?`).all(after ?? '', limit) as RawRow[];
    return rows.map(toRow);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM shares').get() as { n: number }).n;
  }

  /**
   * The signing share, unsealed: the caller destroys it after use. A row whose
   * columns were changed outside the node (exportable flipped, say) does not open.
   */
  signingShare(row: ShareRow): Secret<Uint8Array> {
    const r = this.db.prepare('SELECT sealed_share FROM shares WHERE key_id = ?').get(row.keyId) as { sealed_share: Buffer } | undefined;
    if (!r) throw new WrError('NOT_FOUND', `key share ${row.keyId} was deleted meanwhile`);
    try {
      return this.#sealer.open(r.sealed_share, shareAad(row));
    } catch {
      throw new WrError(
        'INTERNAL',
        `key share ${row.keyId} failed its integrity check at rest: its row was changed outside the node; restore the node's database from a backup`,
      );
    }
  }

  /** Deletes a share and leaves its tombstone, in one transaction. */
  delete(keyId: string): boolean {
    return this.db
      .transaction(() => {
        const row = this.get(keyId);
        if (!row) return false;
        this.db
          .prepare(
            `INSERT INTO tombstones (group_public_key, identifier, epoch, deleted_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (group_public_key, identifier) DO UPDATE SET epoch = max(epoch, excluded.epoch), deleted_at = excluded.deleted_at`,
          )
          .run(row.groupPublicKey, row.identifier, row.epoch, new Date().toISOString());
        return this.db.prepare('DELETE FROM shares WHERE key_id = ?').run(keyId).changes === 1;
      })
      .immediate();
  }

  close(): void {
    this.db.close();
  }
}
