import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateIdentity } from '@wr/age';
import { ComponentModule } from 'caller-sdk';
import { startTestNetwork } from '@wr/cli/test-network';

test('the audit log has one entry per export, import, rewrap, create, sign and delete, and its keyed chain and signed head verify', async () => {
  const net = await startTestNetwork('audit');
  try {
    const c = net.client;
    const key = await c.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
    const mine = await c.call(ComponentModule.GENERATE_AGE_ENCRYPTION, {}).promise();
    const other = await generateIdentity('x25519');
    const exported = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: [mine.publicKey, other.recipient] }).promise();
    const { recipientKey } = await c.call(ComponentModule.GET_NODE_RECIPIENT_KEY, {}).promise();
    const rewrapped = await c
      .call(ComponentModule.REWRAPPING_KEY_SHARE, {
        ageIdentity: mine.encryptedPrivateKey,
        wrappedKeyShare: exported.wrappedKeyShare,
        ageRecipient: recipientKey,
      })
      .promise();
    const imported = await c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: rewrapped.rewrappedKeyShare }).promise();
    await c.call(ComponentModule.DELETE_KEY_SHARE, { keyId: imported.keyId }).promise();
    await c.call(ComponentModule.SIGN, { keyIds: [key.shares[0]!.keyId, key.shares[1]!.keyId], message: 'abcd' }).promise();
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
    assert.equal(count('key.sign'), 1);
    assert.equal(events.find((e) => e.action === 'key.sign')!.details['messageSha256'], createHash('sha256').update(Buffer.from('abcd', 'hex')).digest('hex'));
    const exp = events.find((e) => e.action === 'share.export')!;
    assert.deepEqual(exp.details['recipients'], [mine.publicKey, other.recipient]);
    assert.match(exp.actor, /^ak_/);
    events.forEach((e, i) => {
      assert.equal(e.seq, i + 1);
      if (i > 0) assert.equal(e.prevHash, events[i - 1]!.hash);
    });
    const ok = await c.call(ComponentModule.VERIFY_AUDIT_LOG, {}).promise();
    assert.deepEqual({ ok: ok.ok, entries: ok.entries }, { ok: true, entries: events.length });

    // Each node keeps its own log of what it did and for whom, keyed and signed the same way.
    const nodeLog = (await c.call(ComponentModule.LIST_AUDIT_EVENTS, { nodeId: 'node-1' }).promise()).events;
    const on1 = (action: string) => nodeLog.filter((e) => e.action === action);
    assert.equal(on1('key.create').length, 1);
    assert.equal(on1('share.export').length, 1);
    assert.equal(on1('key.sign').length, 1);
    assert.equal(on1('key.sign')[0]!.actor, c.apiKeyId);
    assert.deepEqual(await c.call(ComponentModule.VERIFY_AUDIT_LOG, { nodeId: 'node-1' }).promise(), {
      ok: true,
      entries: nodeLog.length,
      headHash: nodeLog[nodeLog.length - 1]!.hash,
    });
    const nodeDb = new Database(join(net.dir, 'node-1', 'node.db'));
    nodeDb.exec('DROP TRIGGER audit_log_no_update');
    nodeDb.prepare("UPDATE audit_log SET actor = 'someone else' WHERE action = 'key.sign'").run();
    nodeDb.close();
    const nodeBroken = await c.call(ComponentModule.VERIFY_AUDIT_LOG, { nodeId: 'node-1' }).promise();
    assert.equal(nodeBroken.ok, false);
    assert.equal(nodeBroken.firstBadSeq, on1('key.sign')[0]!.seq);

    // The database refuses to change an entry; one changed behind its back is found.
    const db = new Database(join(net.dir, 'workspace', 'workspace.db'));
    assert.throws(() => db.prepare("UPDATE audit_log SET actor = 'someone' WHERE seq = 2").run(), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM audit_log WHERE seq = 2').run(), /append-only/);
    // With the database alone: cut off the newest entry, and the signed head no longer matches.
    db.exec('DROP TRIGGER audit_log_no_delete');
    db.prepare('DELETE FROM audit_log WHERE seq = ?').run(events.length);
    const cut = await c.call(ComponentModule.VERIFY_AUDIT_LOG, {}).promise();
    assert.equal(cut.ok, false);
    assert.match(cut.problem ?? '', /cut off/);
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare("UPDATE audit_log SET details = '{}' WHERE seq = 3").run();
    const broken = await c.call(ComponentModule.VERIFY_AUDIT_LOG, {}).promise();
    assert.equal(broken.ok, false);
    assert.equal(broken.firstBadSeq, 3);
    // Re-hashing the chain from there on, as an attacker without the master key can, does not make it whole.
    const rows = db.prepare('SELECT * FROM audit_log WHERE seq >= 3 ORDER BY seq').all() as {
      seq: number;
      at: string;
      actor: string;
      action: string;
      details: string;
      prev_hash: string;
    }[];
    let prev = (db.prepare('SELECT hash FROM audit_log WHERE seq = 2').get() as { hash: string }).hash;
    for (const r of rows) {
      const body = JSON.stringify({ action: r.action, actor: r.actor, at: r.at, details: JSON.parse(r.details), seq: r.seq });
      const hash = createHash('sha256').update(prev).update('\n').update(body).digest('hex');
      db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, hash, r.seq);
      prev = hash;
    }
    db.prepare('UPDATE audit_head SET seq = ?, hash = ?').run(rows[rows.length - 1]!.seq, prev);
    db.close();
    const rehashed = await c.call(ComponentModule.VERIFY_AUDIT_LOG, {}).promise();
    assert.equal(rehashed.ok, false);
    assert.equal(rehashed.firstBadSeq, 3);
  } finally {
    await net.cleanup();
  }
});
