/**
 * The node's share store, against a real SQLite file: what it refuses to take
 * in, and what a row changed behind its back does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Secret, WrError } from '@wr/common';
import { Sealer } from '@wr/server';
import { ShareStore, type NewShare } from '../src/store.js';

const masterKey = () => new Secret(new Uint8Array(randomBytes(32)));

function share(over: Partial<NewShare> = {}): NewShare {
  return {
    scheme: 'frost-ed25519',
    groupPublicKey: 'aa'.repeat(32),
    identifier: '01' + '00'.repeat(31),
    minSigners: 2,
    maxSigners: 3,
    publicPackage: '{"pkg":1}',
    signingShare: new Secret(new Uint8Array(32).fill(7)),
    origin: 'imported',
    exportable: false,
    epoch: 0,
    ...over,
  };
}

function withStore(fn: (store: ShareStore, file: string, key: Secret<Uint8Array>) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'wr-store-'));
  const key = masterKey();
  const store = new ShareStore(join(dir, 'node.db'), key);
  try {
    fn(store, join(dir, 'node.db'), key);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const code = (c: string) => (err: unknown) => err instanceof WrError && err.code === c;
const now = () => new Date().toISOString();

test('the same share twice is one row; a second identifier of the same key is refused', () =>
  withStore((store) => {
    const a = store.insert(share(), now());
    assert.equal(a.created, true);
    assert.deepEqual(store.insert(share(), now()), { keyId: a.keyId, created: false });
    assert.throws(() => store.insert(share({ identifier: '02' + '00'.repeat(31) }), now()), code('CONFLICT'));
    assert.equal(store.count(), 1);
  }));

test('a deleted share leaves a tombstone: the same share, or an older epoch, is SHARE_RETIRED', () =>
  withStore((store) => {
    const a = store.insert(share({ epoch: 3 }), now());
    assert.equal(store.delete(a.keyId), true);
    assert.throws(() => store.insert(share({ epoch: 3 }), now()), code('SHARE_RETIRED'));
    assert.throws(() => store.insert(share({ epoch: 1 }), now()), code('SHARE_RETIRED'));
    assert.equal(store.count(), 0);
    // Another key, or another participant of it, is not affected.
    store.insert(share({ groupPublicKey: 'bb'.repeat(32) }), now());
    store.insert(share({ identifier: '02' + '00'.repeat(31) }), now());
    assert.equal(store.count(), 2);
  }));

test('an older epoch of a share already held is SHARE_RETIRED', () =>
  withStore((store) => {
    store.insert(share({ epoch: 2 }), now());
    assert.throws(() => store.insert(share({ epoch: 1 }), now()), code('SHARE_RETIRED'));
  }));

test('a staged refresh swaps in at commit, in one step: new share and epoch, old epoch tombstoned as stale', () =>
  withStore((store) => {
    const ids = ['01' + '00'.repeat(31), '02' + '00'.repeat(31)];
    const { keyId } = store.insert(share({ epoch: 4 }), now());
    const row = store.get(keyId)!;
    const staged = (sessionId: string) => ({
      sessionId,
      keyId,
      fromEpoch: 4,
      epoch: 5,
      publicPackage: '{"pkg":2}',
      confirmation: 'cc'.repeat(32),
      participants: ids.map((identifier, i) => ({ nodeId: `node-${i + 1}`, identifier })),
      requester: 'ak_test',
    });
    // Staged: the old share still works, untouched; an abort drops the staged one.
    store.stageRefresh(row, staged('ses_a'), new Secret(new Uint8Array(32).fill(9)));
    assert.equal(store.get(keyId)!.epoch, 4);
    assert.deepEqual([...store.signingShare(store.get(keyId)!).expose()], new Array(32).fill(7));
    assert.equal(store.dropStaged('ses_a'), true);
    assert.throws(() => store.commitRefresh('ses_a'), code('NOT_FOUND'));
    // Staged again, committed: the new share opens under the new epoch and package, and old copies are SHARE_STALE.
    store.stageRefresh(row, staged('ses_b'), new Secret(new Uint8Array(32).fill(9)));
    const done = store.commitRefresh('ses_b');
    assert.deepEqual([done.epoch, done.publicPackage], [5, '{"pkg":2}']);
    assert.deepEqual([...store.signingShare(done).expose()], new Array(32).fill(9));
    assert.equal(store.staged('ses_b'), undefined);
    assert.throws(() => store.insert(share({ epoch: 4 }), now()), code('SHARE_STALE'));
    assert.throws(() => store.insert(share({ identifier: ids[1]!, epoch: 4 }), now()), code('SHARE_STALE'));
    assert.equal(store.insert(share({ epoch: 5, publicPackage: '{"pkg":2}' }), now()).created, false);
    // A refresh staged against epoch 4 cannot commit over epoch 5.
    store.stageRefresh(row, staged('ses_c'), new Secret(new Uint8Array(32).fill(1)));
    assert.throws(() => store.commitRefresh('ses_c'), code('CONFLICT'));
    assert.equal(store.get(keyId)!.epoch, 5);
    // A deleted share stays deleted (SHARE_RETIRED), whatever refresh notice comes after.
    store.delete(keyId);
    store.recordRefreshed(row.groupPublicKey, ids, 4);
    assert.throws(() => store.insert(share({ epoch: 5 }), now()), code('SHARE_RETIRED'));
    // A node with no share of a key learns from a notice that older copies are stale.
    store.recordRefreshed('dd'.repeat(32), ids, 0);
    assert.throws(() => store.insert(share({ groupPublicKey: 'dd'.repeat(32) }), now()), code('SHARE_STALE'));
    assert.equal(store.insert(share({ groupPublicKey: 'dd'.repeat(32), epoch: 1 }), now()).created, true);
  }));

test('every governing column is bound into the seal: a changed row does not open', () => {
  const columns: [string, string][] = [
    ['exportable', 'exportable = 1'],
    ['epoch', 'epoch = epoch + 1'],
    ['scheme', "scheme = 'frost-secp256k1'"],
    ['min_signers', 'min_signers = 1'],
    ['max_signers', 'max_signers = 9'],
    ['origin', "origin = 'generated'"],
    ['public_package', 'public_package = \'{"pkg":2}\''],
  ];
  for (const [column, set] of columns) {
    withStore((store) => {
      const { keyId } = store.insert(share(), now());
      const intact = store.signingShare(store.get(keyId)!);
      assert.deepEqual([...intact.expose()], new Array(32).fill(7));
      store.db.prepare(`UPDATE shares SET ${set} WHERE key_id = ?`).run(keyId);
      assert.throws(() => store.signingShare(store.get(keyId)!), code('INTERNAL'), `${column} changed, yet the share opened`);
    });
  }
});

test('a version 1 file is sealed again under version 2 on open (then migrated to 3, 4 and 5), and its shares still open', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wr-store-'));
  const key = masterKey();
  try {
    const file = join(dir, 'node.db');
    let store = new ShareStore(file, key);
    const { keyId } = store.insert(share(), now());
    // Make it look as version 1 left it: the seal bound only to keyId, group key and identifier.
    const row = store.get(keyId)!;
    const v1 = new Sealer(key, 'node').seal(new Uint8Array(32).fill(7), `share ${keyId} ${row.groupPublicKey} ${row.identifier}`);
    store.db.prepare('UPDATE shares SET sealed_share = ? WHERE key_id = ?').run(v1, keyId);
    // And without what versions 3, 4 and 5 add.
    store.db.exec(
      'DROP TABLE backups; DROP TABLE backup_policies; DROP TABLE refresh_staged; DROP TABLE reshare_staged; ALTER TABLE tombstones DROP COLUMN reason;',
    );
    store.db.pragma('user_version = 0');
    store.close();
    store = new ShareStore(file, key);
    assert.equal(store.db.pragma('user_version', { simple: true }), 5);
    assert.deepEqual([...store.signingShare(store.get(keyId)!).expose()], new Array(32).fill(7));
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** node.db as the code before versions (6ec3831) made it: user_version 0, shares sealed bound to keyId, group key and identifier. */
const UNVERSIONED = `
CREATE TABLE sealed_secrets (name TEXT PRIMARY KEY, public TEXT NOT NULL, sealed BLOB NOT NULL) STRICT;
CREATE TABLE shares (
  key_id TEXT PRIMARY KEY, scheme TEXT NOT NULL, group_public_key TEXT NOT NULL, identifier TEXT NOT NULL, min_signers INTEGER NOT NULL,
  max_signers INTEGER NOT NULL, public_package TEXT NOT NULL, sealed_share BLOB NOT NULL, origin TEXT NOT NULL CHECK (origin IN ('generated', 'imported')),
  exportable INTEGER NOT NULL, epoch INTEGER NOT NULL, dkg_session TEXT UNIQUE, created_at TEXT NOT NULL, UNIQUE (group_public_key, identifier)
) STRICT;
`;

test('an unversioned node.db, made by hand with the old tables, is migrated to version 4 and its share still opens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wr-store-'));
  const key = masterKey();
  try {
    const file = join(dir, 'node.db');
    const old = new Database(file);
    old.exec(UNVERSIONED);
    const s = share();
    const keyId = 'key_0123456789abcdefghjkmnpqrs';
    const sealed = new Sealer(key, 'node').seal(s.signingShare.expose(), `share ${keyId} ${s.groupPublicKey} ${s.identifier}`);
    old
      .prepare('INSERT INTO shares VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)')
      .run(keyId, s.scheme, s.groupPublicKey, s.identifier, s.minSigners, s.maxSigners, s.publicPackage, sealed, s.origin, 0, s.epoch, now());
    old.close();

    const store = new ShareStore(file, key);
    try {
      assert.equal(store.db.pragma('user_version', { simple: true }), 5);
      const tables = new Set((store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
      for (const t of [
        'used_calls',
        'dkg_pending',
        'tombstones',
        'refresh_staged',
        'reshare_staged',
        'backup_policies',
        'backups',
        'roster',
        'api_key_registry',
        'network_policy',
        'audit_log',
        'audit_head',
      ]) {
        assert.ok(tables.has(t), `${t} exists`);
      }
      assert.deepEqual([...store.signingShare(store.get(keyId)!).expose()], new Array(32).fill(7));
      store.delete(keyId);
      assert.throws(() => store.insert(share(), now()), code('SHARE_RETIRED'), 'the new tombstones table works');
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
