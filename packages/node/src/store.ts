import { SEALED_SECRETS_SCHEMA, loadSealedSecret, openDatabase, type Db } from '@wr/server';
import { Sealer, Secret, newKeyId } from '@wr/common';

/**
 * The node's SQLite file. A share's signing share is sealed (AES-256-GCM under a
 * key derived from the node master key, bound to its row); every other column is
 * public data. An insert is one transaction, and (group key, identifier) is
 * unique, so an import seen twice, concurrently or after a crash, yields one row.
 */
const SCHEMA = SEALED_SECRETS_SCHEMA + `
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
`;

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

const shareAad = (keyId: string, groupPublicKey: string, identifier: string) => `share ${keyId} ${groupPublicKey} ${identifier}`;

export class ShareStore {
  readonly db: Db;
  #sealer: Sealer;

  constructor(file: string, masterKey: Secret<Uint8Array>) {
    this.db = openDatabase(file, SCHEMA);
    this.#sealer = new Sealer(masterKey, 'node');
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
    return this.db.transaction(() => {
      const existing = this.findShare(share.groupPublicKey, share.identifier);
      if (existing) return { keyId: existing.keyId, created: false };
      if (share.dkgSession) {
        const bySession = this.db.prepare('SELECT key_id FROM shares WHERE dkg_session = ?').get(share.dkgSession) as { key_id: string } | undefined;
        if (bySession) return { keyId: bySession.key_id, created: false };
      }
      const keyId = newKeyId();
      const sealed = this.#sealer.seal(share.signingShare.expose(), shareAad(keyId, share.groupPublicKey, share.identifier));
      this.db
        .prepare(
          `INSERT INTO shares (key_id, scheme, group_public_key, identifier, min_signers, max_signers, public_package, sealed_share, origin, exportable, epoch, dkg_session, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(keyId, share.scheme, share.groupPublicKey, share.identifier, share.minSigners, share.maxSigners, share.publicPackage, sealed, share.origin, share.exportable ? 1 : 0, share.epoch, share.dkgSession ?? null, now);
      return { keyId, created: true };
    }).immediate();
  }

  get(keyId: string): ShareRow | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM shares WHERE key_id = ?`).get(keyId) as RawRow | undefined;
    return r && toRow(r);
  }

  findShare(groupPublicKey: string, identifier: string): ShareRow | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM shares WHERE group_public_key = ? AND identifier = ?`).get(groupPublicKey, identifier) as RawRow | undefined;
    return r && toRow(r);
  }

  bySession(dkgSession: string): ShareRow | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM shares WHERE dkg_session = ?`).get(dkgSession) as RawRow | undefined;
    return r && toRow(r);
  }

  list(): ShareRow[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM shares ORDER BY created_at, key_id`).all() as RawRow[]).map(toRow);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM shares').get() as { n: number }).n;
  }

  /** The signing share, unsealed: the caller destroys it after use. */
  signingShare(row: ShareRow): Secret<Uint8Array> {
    const r = this.db.prepare('SELECT sealed_share FROM shares WHERE key_id = ?').get(row.keyId) as { sealed_share: Buffer } | undefined;
    if (!r) throw new Error('share vanished');
    return this.#sealer.open(r.sealed_share, shareAad(row.keyId, row.groupPublicKey, row.identifier));
  }

  delete(keyId: string): boolean {
    return this.db.prepare('DELETE FROM shares WHERE key_id = ?').run(keyId).changes === 1;
  }

  close(): void {
    this.db.close();
  }
}
