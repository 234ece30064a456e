import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateIdentity } from '@wr/age';
import { ComponentModule } from 'caller-sdk';
import { startTestNetwork } from './support/network.js';

test('the audit log has one entry per export, import, rewrap, create and delete, and its chain verifies', async () => {
  const net = await startTestNetwork('audit');
  try {
    const c = net.client;
    const key = await c.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
    const mine = await c.call(ComponentModule.GENERATE_AGE_ENCRYPTION, {}).promise();
    const other = await generateIdentity('x25519');
    const exported = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: [mine.publicKey, other.recipient] }).promise();
    const { recipientKey } = await c.call(ComponentModule.GET_NODE_RECIPIENT_KEY, {}).promise();
    const rewrapped = await c.call(ComponentModule.REWRAPPING_KEY_SHARE, { ageIdentity: mine.encryptedPrivateKey, wrappedKeyShare: exported.wrappedKeyShare, ageRecipient: recipientKey }).promise();
    const imported = await c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: rewrapped.rewrappedKeyShare }).promise();
    await c.call(ComponentModule.DELETE_KEY_SHARE, { keyId: imported.keyId }).promise();
    // A retried call (same idempotency key) is one event, not two.
    const retry = c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[1]!.keyId, ageRecipient: other.recipient }, { idempotencyKey: 'audit-once' });
    await retry.promise();
    await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[1]!.keyId, ageRecipient: other.recipient }, { idempotencyKey: 'audit-once' }).promise();

    const { events } = await c.call(ComponentModule.LIST_AUDIT_EVENTS, {}).promise();
    const count = (action: string) => events.filter((e) => e.action === action).length;
    assert.equal(count('key.create'), 1);
    assert.equal(count('share.export'), 2);
    assert.equal(count('share.rewrap'), 1);
    assert.equal(count('share.import'), 1);
    assert.equal(count('share.delete'), 1);
    const exp = events.find((e) => e.action === 'share.export')!;
    assert.deepEqual(exp.details['recipients'], [mine.publicKey, other.recipient]);
    assert.match(exp.actor, /^ak_/);
    events.forEach((e, i) => {
      assert.equal(e.seq, i + 1);
      if (i > 0) assert.equal(e.prevHash, events[i - 1]!.hash);
    });
    const ok = await c.call(ComponentModule.VERIFY_AUDIT_LOG, {}).promise();
    assert.deepEqual({ ok: ok.ok, entries: ok.entries }, { ok: true, entries: events.length });

    // The database refuses to change an entry; one changed behind its back is found.
    const db = new Database(join(net.dir, 'workspace', 'workspace.db'));
    assert.throws(() => db.prepare("UPDATE audit_log SET actor = 'someone' WHERE seq = 2").run(), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM audit_log WHERE seq = 2').run(), /append-only/);
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare("UPDATE audit_log SET details = '{}' WHERE seq = 3").run();
    db.close();
    const broken = await c.call(ComponentModule.VERIFY_AUDIT_LOG, {}).promise();
    assert.equal(broken.ok, false);
    assert.equal(broken.firstBadSeq, 3);
  } finally {
    await net.cleanup();
  }
});
