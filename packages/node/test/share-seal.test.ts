/**
 * What node.db seals, frozen: a share's signing share is sealed (purpose "node")
 * with associated data that names every governing column of its row, and a node
 * secret with its name and public half. A change here must be a migration (see
 * store.ts), never a silent change of these bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '@wr/common';
import { Sealer } from '@wr/server';
import { ShareStore } from '../src/store.js';

const MASTER_KEY = Uint8Array.from({ length: 32 }, (_, i) => i); // 00 01 02 ... 1f
const masterKey = () => new Secret(MASTER_KEY.slice());
const KEY_ID = 'key_0123456789abcdefghjkmnpqrs';
const GROUP_KEY = 'aa'.repeat(32);
const IDENTIFIER = '01' + '00'.repeat(31);
const PUBLIC_PACKAGE = '{"pkg":1}';

/** The associated data of the share row below: "share v2", then its columns, then SHA-256 of its public package. */
const SHARE_AAD =
  'share v2 key_0123456789abcdefghjkmnpqrs frost-ed25519 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ' +
  '0100000000000000000000000000000000000000000000000000000000000000 2 3 imported 0 0 ' +
  '4e37a8d7929dcfb280bd1514487791b5706d29d27b86482319468120c8456a20';

/** Sealed by the code of 2026-12-02: 32 bytes of 7 under SHARE_AAD, and a node secret. */
const FROZEN_SHARE = '01f3c91a3b5e4656dd05b4449cc08dc33f26193c125940443aadc752e88444cb1ee8888a4279bd25b4d6d65d6b9023b84cb8426586b4bf0fa69ddf2af0';
const FROZEN_SECRET = '01c4992c858d857fe83dbc54bc46ceb519bcece9f55cf5c437db7350dddd8d4e7fa568bb23a2d38ac0316806c075bebfb2fe';

function withStore(fn: (store: ShareStore) => Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wr-share-seal-'));
  const store = new ShareStore(join(dir, 'node.db'), masterKey());
  return (async () => fn(store))().finally(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

test('the share AAD is the frozen string: its last field is SHA-256 of the public package', () => {
  assert.ok(SHARE_AAD.endsWith(createHash('sha256').update(PUBLIC_PACKAGE).digest('hex')));
});

test('a share row sealed by the frozen format opens through the store', () =>
  withStore((store) => {
    store.db
      .prepare('INSERT INTO shares VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)')
      .run(KEY_ID, 'frost-ed25519', GROUP_KEY, IDENTIFIER, 2, 3, PUBLIC_PACKAGE, Buffer.from(FROZEN_SHARE, 'hex'), 'imported', 0, 0, '2026-12-02T00:00:00Z');
    assert.deepEqual([...store.signingShare(store.get(KEY_ID)!).expose()], new Array(32).fill(7));
  }));

test('a share the store seals opens with exactly the frozen AAD', () =>
  withStore((store) => {
    const { keyId } = store.insert(
      {
        scheme: 'frost-ed25519',
        groupPublicKey: GROUP_KEY,
        identifier: IDENTIFIER,
        minSigners: 2,
        maxSigners: 3,
        publicPackage: PUBLIC_PACKAGE,
        signingShare: new Secret(new Uint8Array(32).fill(7)),
        origin: 'imported',
        exportable: false,
        epoch: 0,
      },
      '2026-12-02T00:00:00.000Z',
    );
    const { sealed_share } = store.db.prepare('SELECT sealed_share FROM shares WHERE key_id = ?').get(keyId) as { sealed_share: Buffer };
    const aad = SHARE_AAD.replace(KEY_ID, keyId);
    assert.deepEqual([...new Sealer(masterKey(), 'node').open(sealed_share, aad).expose()], new Array(32).fill(7));
  }));

test('a node secret sealed by the frozen format opens: AAD "sealed-secret <name> <public>"', () =>
  withStore(async (store) => {
    const insert = store.db.prepare('INSERT INTO sealed_secrets (name, public, sealed) VALUES (?, ?, ?)');
    insert.run('identity-x25519', 'age1example', Buffer.from(FROZEN_SECRET, 'hex'));
    const got = await store.nodeSecret('identity-x25519', () => Promise.reject(new Error('the stored secret should have been used')));
    assert.equal(got.public, 'age1example');
    assert.equal(Buffer.from(got.secret.expose()).toString(), 'identity secret bytes');
  }));
