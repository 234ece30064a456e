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
 * Version 3. A refreshed share waits in refresh_staged, sealed exactly as its
 * row will be at the new epoch, until every holder confirmed the same result;
 * the commit then swaps it in and tombstones the old epoch in one transaction.
 * A crash leaves the old share working, and the staged one ready for the retry.
 * A tombstone's reason tells a deleted share (SHARE_RETIRED) from an epoch
 * replaced by a refresh (SHARE_STALE).
 */
const REFRESH_TABLES = `
CREATE TABLE refresh_staged (
  session_id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL REFERENCES shares (key_id) ON DELETE CASCADE,
  from_epoch INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  public_package TEXT NOT NULL,
  sealed_share BLOB NOT NULL,
  confirmation TEXT NOT NULL,
  participants TEXT NOT NULL,
  requester TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
ALTER TABLE tombstones ADD COLUMN reason TEXT NOT NULL DEFAULT 'deleted' CHECK (reason IN ('deleted', 'refreshed'));
`;

/**
 * Version 4: backups that stay fresh (backups.ts). A key's backup policy is the
 * caller's signed SET_BACKUP_POLICY call itself, checked by this node when it
 * came and kept verbatim; it authorises this node to export its share of the
 * key to the policy's recipients again whenever the share changes (creation,
 * refresh, and later reshare or repair), with no caller call. `backups` holds
 * the latest export per key: age ciphertext only, written in one statement.
 */
const BACKUP_TABLES = `
CREATE TABLE backup_policies (
  group_public_key TEXT PRIMARY KEY,
  recipients TEXT NOT NULL,
  auth TEXT NOT NULL,
  signed_at INTEGER NOT NULL,
  requester TEXT NOT NULL,
  set_at TEXT NOT NULL
) STRICT;
CREATE TABLE backups (
  group_public_key TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  identifier TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  recipients TEXT NOT NULL,
  wrapped TEXT NOT NULL CHECK (wrapped LIKE '-----BEGIN AGE ENCRYPTED FILE-----%'),
  wrapped_sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
`;

/**
 * Version 5. A reshare (RESHARE_KEY) is staged on every node it touches: a new
 * holder's share waits in reshare_staged (role 'hold', sealed exactly as its row
 * will be), an old holder that leaves the key waits to retire its share (role
 * 'retire', no share). The commit swaps in, inserts or retires in one
 * transaction and tombstones every old identifier at the old epoch (reason
 * 'reshared': old wrapped copies give SHARE_STALE). Tombstones are rebuilt to
 * allow that reason.
 */
const RESHARE_TABLES = `
CREATE TABLE reshare_staged (
  session_id TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('hold', 'retire')),
  key_id TEXT NOT NULL,
  new_row INTEGER NOT NULL,
  scheme TEXT NOT NULL,
  group_public_key TEXT NOT NULL,
  identifier TEXT NOT NULL,
  min_signers INTEGER NOT NULL,
  max_signers INTEGER NOT NULL,
  origin TEXT NOT NULL,
  exportable INTEGER NOT NULL,
  from_epoch INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  public_package TEXT NOT NULL,
  sealed_share BLOB,
  confirmation TEXT,
  holders TEXT NOT NULL,
  old_identifiers TEXT NOT NULL,
  requester TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE tombstones_v4 (
  group_public_key TEXT NOT NULL,
  identifier TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  deleted_at TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT 'deleted' CHECK (reason IN ('deleted', 'refreshed', 'reshared')),
  PRIMARY KEY (group_public_key, identifier)
) STRICT;
INSERT INTO tombstones_v4 (group_public_key, identifier, epoch, deleted_at, reason)
  SELECT group_public_key, identifier, epoch, deleted_at, reason FROM tombstones;
DROP TABLE tombstones;
ALTER TABLE tombstones_v4 RENAME TO tombstones;
`;

/**
 * A reshare waiting for every new holder's confirmation (see RESHARE_TABLES).
 * For role 'retire' the share fields describe the old row; `confirmation` is empty.
 */
export interface StagedReshare {
  sessionId: string;
  role: 'hold' | 'retire';
  /** The share's key id: the old row's, or a new one (`newRow`) for a node that held none. */
  keyId: string;
  newRow: boolean;
  scheme: string;
  groupPublicKey: string;
  identifier: string;
  minSigners: number;
  maxSigners: number;
  origin: 'generated' | 'imported';
  exportable: boolean;
  fromEpoch: number;
  epoch: number;
  publicPackage: string;
  confirmation: string;
  /** Every new holder: its node and identifier. */
  holders: { nodeId: string; identifier: string }[];
  /** Every identifier of the key before the reshare: tombstoned at fromEpoch on commit. */
  oldIdentifiers: string[];
  requester: string;
}

/** A refresh result waiting for every holder's confirmation (see REFRESH_TABLES). */
export interface StagedRefresh {
  sessionId: string;
  keyId: string;
  fromEpoch: number;
  epoch: number;
  publicPackage: string;
  confirmation: string;
  /** Every holder taking part: its node and identifier. */
  participants: { nodeId: string; identifier: string }[];
  /** The API key that asked for the refresh, for this node's log. */
  requester: string;
}

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
    { version: 3, description: 'refreshes staged until every holder confirmed; tombstones say why', up: (db) => db.exec(REFRESH_TABLES) },
    { version: 4, description: 'backup policies (the signed calls) and the latest backup of each share', up: (db) => db.exec(BACKUP_TABLES) },
    { version: 5, description: 'reshares staged until every new holder confirmed; tombstones may say reshared', up: (db) => db.exec(RESHARE_TABLES) },
  ];
}

type TombstoneReason = 'deleted' | 'refreshed' | 'reshared';

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
          .prepare('SELECT epoch, reason FROM tombstones WHERE group_public_key = ? AND identifier = ?')
          .get(share.groupPublicKey, share.identifier) as { epoch: number; reason: TombstoneReason } | undefined;
        // A refresh or reshare of the key past this epoch makes every share of it stale, whatever its identifier.
        const moved = this.db
          .prepare("SELECT max(epoch) AS epoch FROM tombstones WHERE group_public_key = ? AND reason IN ('refreshed', 'reshared')")
          .get(share.groupPublicKey) as { epoch: number | null };
        if (moved.epoch !== null && share.epoch <= moved.epoch && !(tomb && tomb.reason === 'deleted' && share.epoch <= tomb.epoch)) {
          throw new WrError(
            'SHARE_STALE',
            `key ${share.groupPublicKey} was refreshed or reshared past epoch ${moved.epoch}: this copy of participant ${share.identifier} ` +
              `is of epoch ${share.epoch} and no longer combines with the current shares`,
          );
        }
        if (tomb && share.epoch <= tomb.epoch && tomb.reason !== 'deleted') {
          throw new WrError(
            'SHARE_STALE',
            `key ${share.groupPublicKey} was ${tomb.reason} past epoch ${tomb.epoch}: this copy of participant ${share.identifier} ` +
              `is of epoch ${share.epoch} and no longer combines with the current shares`,
          );
        }
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
           ON CONFLICT (group_public_key, identifier) DO UPDATE SET epoch = max(epoch, excluded.epoch), deleted_at = excluded.deleted_at,
             reason = 'deleted'`,
          )
          .run(row.groupPublicKey, row.identifier, row.epoch, new Date().toISOString());
        return this.db.prepare('DELETE FROM shares WHERE key_id = ?').run(keyId).changes === 1;
      })
      .immediate();
  }

  /** This node's share of a key (it holds at most one). */
  byGroupKey(groupPublicKey: string): ShareRow | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM shares WHERE group_public_key = ? LIMIT 1`).get(groupPublicKey) as RawRow | undefined;
    return r && toRow(r);
  }

  /**
   * Stages a refreshed share, sealed as its row will be at the new epoch; any
   * other staged refresh of the same share (an abandoned session) goes.
   */
  stageRefresh(row: ShareRow, staged: StagedRefresh, signingShare: Secret<Uint8Array>): void {
    const sealed = this.#sealer.seal(signingShare.expose(), shareAad({ ...row, epoch: staged.epoch, publicPackage: staged.publicPackage }));
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM refresh_staged WHERE key_id = ?').run(row.keyId);
        this.db
          .prepare(
            `INSERT INTO refresh_staged (session_id, key_id, from_epoch, epoch, public_package, sealed_share, confirmation, participants, requester, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            staged.sessionId,
            row.keyId,
            staged.fromEpoch,
            staged.epoch,
            staged.publicPackage,
            sealed,
            staged.confirmation,
            JSON.stringify(staged.participants),
            staged.requester,
            new Date().toISOString(),
          );
      })
      .immediate();
  }

  staged(sessionId: string): StagedRefresh | undefined {
    const r = this.db
      .prepare('SELECT key_id, from_epoch, epoch, public_package, confirmation, participants, requester FROM refresh_staged WHERE session_id = ?')
      .get(sessionId) as
      { key_id: string; from_epoch: number; epoch: number; public_package: string; confirmation: string; participants: string; requester: string } | undefined;
    return (
      r && {
        sessionId,
        keyId: r.key_id,
        fromEpoch: r.from_epoch,
        epoch: r.epoch,
        publicPackage: r.public_package,
        confirmation: r.confirmation,
        participants: JSON.parse(r.participants) as StagedRefresh['participants'],
        requester: r.requester,
      }
    );
  }

  dropStaged(sessionId: string): boolean {
    return this.db.prepare('DELETE FROM refresh_staged WHERE session_id = ?').run(sessionId).changes === 1;
  }

  /**
   * Swaps the staged share in, in one transaction: the new sealed share, public
   * package and epoch replace the old ones (which are gone), and every
   * identifier of the key is tombstoned at the old epoch, so an old wrapped copy
   * is refused (SHARE_STALE). Refused if the share moved on meanwhile.
   */
  commitRefresh(sessionId: string): ShareRow {
    return this.db
      .transaction(() => {
        const s = this.staged(sessionId);
        if (!s) throw new WrError('NOT_FOUND', `no refresh staged for session ${sessionId}`);
        const r = this.db.prepare('SELECT sealed_share FROM refresh_staged WHERE session_id = ?').get(sessionId) as { sealed_share: Buffer };
        const moved = this.db
          .prepare('UPDATE shares SET public_package = ?, epoch = ?, sealed_share = ? WHERE key_id = ? AND epoch = ?')
          .run(s.publicPackage, s.epoch, r.sealed_share, s.keyId, s.fromEpoch);
        if (moved.changes !== 1) {
          this.db.prepare('DELETE FROM refresh_staged WHERE session_id = ?').run(sessionId);
          throw new WrError('CONFLICT', `key share ${s.keyId} is no longer at epoch ${s.fromEpoch}: another refresh or a delete came first`);
        }
        const row = this.get(s.keyId)!;
        this.#tombstone(
          row.groupPublicKey,
          s.participants.map((p) => p.identifier),
          s.fromEpoch,
          'refreshed',
        );
        this.db.prepare('DELETE FROM refresh_staged WHERE session_id = ?').run(sessionId);
        return row;
      })
      .immediate();
  }

  /** Records that a key was reshared past `fromEpoch` (a node that took no part learns it too). */
  recordReshared(groupPublicKey: string, identifiers: string[], fromEpoch: number): void {
    this.db.transaction(() => this.#tombstone(groupPublicKey, identifiers, fromEpoch, 'reshared')).immediate();
  }

  /** Records that a key was refreshed past `fromEpoch` (a node that holds none of its shares learns it too). */
  recordRefreshed(groupPublicKey: string, identifiers: string[], fromEpoch: number): void {
    this.db.transaction(() => this.#tombstone(groupPublicKey, identifiers, fromEpoch, 'refreshed')).immediate();
  }

  /**
   * Retires a copy left behind (its identifier went to a newer epoch on
   * another node): deletes it if it is still at `fromEpoch` or older, and
   * tombstones the key's identifiers at `fromEpoch` as refreshed, in one
   * transaction. Whether it deleted it.
   */
  retireLeftBehind(keyId: string, identifiers: string[], fromEpoch: number): boolean {
    return this.db
      .transaction(() => {
        const row = this.get(keyId);
        if (!row || row.epoch > fromEpoch) return false;
        this.#tombstone(row.groupPublicKey, identifiers, fromEpoch, 'refreshed');
        return this.db.prepare('DELETE FROM shares WHERE key_id = ?').run(keyId).changes === 1;
      })
      .immediate();
  }

  /** Stages one side of a reshare on this node (any other staged reshare of the same key goes); `signingShare` for role 'hold' only. */
  stageReshare(staged: StagedReshare, signingShare?: Secret<Uint8Array>): void {
    const sealed = signingShare && this.#sealer.seal(signingShare.expose(), shareAad(staged));
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM reshare_staged WHERE group_public_key = ?').run(staged.groupPublicKey);
        this.db
          .prepare(
            `INSERT INTO reshare_staged (session_id, role, key_id, new_row, scheme, group_public_key, identifier, min_signers, max_signers, origin,
               exportable, from_epoch, epoch, public_package, sealed_share, confirmation, holders, old_identifiers, requester, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            staged.sessionId,
            staged.role,
            staged.keyId,
            staged.newRow ? 1 : 0,
            staged.scheme,
            staged.groupPublicKey,
            staged.identifier,
            staged.minSigners,
            staged.maxSigners,
            staged.origin,
            staged.exportable ? 1 : 0,
            staged.fromEpoch,
            staged.epoch,
            staged.publicPackage,
            sealed ?? null,
            staged.confirmation,
            JSON.stringify(staged.holders),
            JSON.stringify(staged.oldIdentifiers),
            staged.requester,
            new Date().toISOString(),
          );
      })
      .immediate();
  }

  reshareStaged(sessionId: string): StagedReshare | undefined {
    const r = this.db.prepare('SELECT * FROM reshare_staged WHERE session_id = ?').get(sessionId) as Record<string, unknown> | undefined;
    return (
      r && {
        sessionId,
        role: r['role'] as 'hold' | 'retire',
        keyId: r['key_id'] as string,
        newRow: r['new_row'] === 1,
        scheme: r['scheme'] as string,
        groupPublicKey: r['group_public_key'] as string,
        identifier: r['identifier'] as string,
        minSigners: r['min_signers'] as number,
        maxSigners: r['max_signers'] as number,
        origin: r['origin'] as 'generated' | 'imported',
        exportable: r['exportable'] === 1,
        fromEpoch: r['from_epoch'] as number,
        epoch: r['epoch'] as number,
        publicPackage: r['public_package'] as string,
        confirmation: (r['confirmation'] as string | null) ?? '',
        holders: JSON.parse(r['holders'] as string) as StagedReshare['holders'],
        oldIdentifiers: JSON.parse(r['old_identifiers'] as string) as string[],
        requester: r['requester'] as string,
      }
    );
  }

  dropReshareStaged(sessionId: string): boolean {
    return this.db.prepare('DELETE FROM reshare_staged WHERE session_id = ?').run(sessionId).changes === 1;
  }

  /**
   * Commits this node's side of a reshare, in one transaction: a staying holder's
   * row takes the new share, package, threshold and epoch; a new holder's row is
   * inserted; a leaving holder's row is deleted. Every old identifier is
   * tombstoned at the old epoch (reason 'reshared'). Returns the new row, or
   * undefined for a retired share. Refused if the share moved on meanwhile.
   */
  commitReshare(sessionId: string): ShareRow | undefined {
    return this.db
      .transaction(() => {
        const s = this.reshareStaged(sessionId);
        if (!s) throw new WrError('NOT_FOUND', `no reshare staged for session ${sessionId}`);
        const drop = () => this.db.prepare('DELETE FROM reshare_staged WHERE session_id = ?').run(sessionId);
        const moved = () => {
          drop();
          return new WrError('CONFLICT', `this node's share of ${s.groupPublicKey} is no longer at epoch ${s.fromEpoch}: another change came first`);
        };
        const sealed = (this.db.prepare('SELECT sealed_share FROM reshare_staged WHERE session_id = ?').get(sessionId) as { sealed_share: Buffer | null })
          .sealed_share;
        if (s.role === 'retire') {
          if (this.db.prepare('DELETE FROM shares WHERE key_id = ? AND epoch = ?').run(s.keyId, s.fromEpoch).changes !== 1) throw moved();
        } else if (!s.newRow) {
          const r = this.db
            .prepare('UPDATE shares SET public_package = ?, epoch = ?, sealed_share = ?, min_signers = ?, max_signers = ? WHERE key_id = ? AND epoch = ?')
            .run(s.publicPackage, s.epoch, sealed, s.minSigners, s.maxSigners, s.keyId, s.fromEpoch);
          if (r.changes !== 1) throw moved();
        } else {
          if (this.byGroupKey(s.groupPublicKey)) throw moved();
          const tomb = this.db.prepare('SELECT epoch FROM tombstones WHERE group_public_key = ? AND identifier = ?').get(s.groupPublicKey, s.identifier) as
            { epoch: number } | undefined;
          if (tomb && tomb.epoch >= s.epoch) throw moved();
          this.db
            .prepare(
              `INSERT INTO shares (key_id, scheme, group_public_key, identifier, min_signers, max_signers,` +
                ` public_package, sealed_share, origin, exportable, epoch, dkg_session, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
            )
            .run(
              s.keyId,
              s.scheme,
              s.groupPublicKey,
              s.identifier,
              s.minSigners,
              s.maxSigners,
              s.publicPackage,
              sealed,
              s.origin,
              s.exportable ? 1 : 0,
              s.epoch,
              new Date().toISOString(),
            );
        }
        this.#tombstone(s.groupPublicKey, s.oldIdentifiers, s.fromEpoch, 'reshared');
        drop();
        return s.role === 'retire' ? undefined : this.get(s.keyId);
      })
      .immediate();
  }

  /** Whether this node tombstoned some identifier of the key at `epoch` or later, for `reason`. */
  tombstonedSince(groupPublicKey: string, epoch: number, reason: TombstoneReason): boolean {
    return (
      this.db.prepare('SELECT 1 FROM tombstones WHERE group_public_key = ? AND epoch >= ? AND reason = ? LIMIT 1').get(groupPublicKey, epoch, reason) !==
      undefined
    );
  }

  #tombstone(groupPublicKey: string, identifiers: string[], epoch: number, reason: TombstoneReason): void {
    // A deletion is never downgraded to a refresh: the newer epoch wins, and a deleted share stays deleted.
    const put = this.db.prepare(
      `INSERT INTO tombstones (group_public_key, identifier, epoch, deleted_at, reason) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (group_public_key, identifier) DO UPDATE SET
         reason = CASE WHEN reason = 'deleted' THEN 'deleted' ELSE excluded.reason END,
         epoch = max(epoch, excluded.epoch), deleted_at = excluded.deleted_at`,
    );
    const now = new Date().toISOString();
    for (const id of identifiers) put.run(groupPublicKey, id, epoch, now, reason);
  }

  close(): void {
    this.db.close();
  }
}
