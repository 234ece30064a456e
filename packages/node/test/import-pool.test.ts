/** The import pool: worker threads open and check a wrapped share exactly as the node's own thread does, codes included. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentity } from '@wr/age';
import { WrError } from '@wr/common';
import { generateSigningKey, sealEnvelope, wrapShare } from '@wr/crypto';
import { makeNodes, runDkg } from '@wr/crypto/test-dkg';
import { ImportPool } from '../src/workers/import-pool.js';

/** A 2-of-2 key by DKG; participant 1's share sealed by `exporter` and wrapped to `recipient`. */
async function wrappedShare(recipient: string, exporter: ReturnType<typeof generateSigningKey>) {
  const mine = (await runDkg('frost-ed25519', 2, await makeNodes('frost-ed25519', 2), 'import-pool'))[0]!;
  const envelope = sealEnvelope(
    {
      public: mine.public,
      secret: mine.secret,
      source: { nodeId: 'node-1', keyId: 'key_0123456789abcdefghjkmnpqrs' },
      epoch: 0,
      exportedAt: '2026-12-02T00:00:00Z',
    },
    exporter.secretKey,
  );
  return { wrapped: await wrapShare(envelope, [recipient]), share: [...mine.secret.signingShare.expose()] };
}

test('worker threads and the node thread open a wrapped share alike: same share, same package, same error codes', async () => {
  const me = await generateIdentity('x25519');
  const stranger = await generateIdentity('x25519');
  const exporter = generateSigningKey();
  const { wrapped, share } = await wrappedShare(me.recipient, exporter);
  const { wrapped: notForMe } = await wrappedShare(stranger.recipient, exporter);
  const pools = [new ImportPool(0, [me.identity]), new ImportPool(2, [me.identity])];
  try {
    const seen = [];
    for (const pool of pools) {
      const opened = await pool.open(wrapped, [exporter.publicKey]);
      assert.deepEqual([...opened.envelope.secret.signingShare.expose()], share, `the share itself (pool of ${pool.size})`);
      seen.push({ ...opened.envelope, secret: { identifier: opened.envelope.secret.identifier }, publicPackage: opened.publicPackage });
      opened.envelope.secret.signingShare.destroy();
      const code = (p: Promise<unknown>) =>
        p.then(
          () => 'opened',
          (e: unknown) => (e instanceof WrError ? e.code : String(e)),
        );
      // Not for this node's identity; exported by a node outside the roster; not an age file at all.
      assert.deepEqual(
        await Promise.all([
          code(pool.open(notForMe, [exporter.publicKey])),
          code(pool.open(wrapped, [generateSigningKey().publicKey])),
          code(pool.open('junk', [])),
        ]),
        ['NO_IDENTITY_MATCH', 'SHARE_INVALID', 'WRAPPED_SHARE_CORRUPT'],
        `error codes (pool of ${pool.size})`,
      );
    }
    assert.deepEqual(seen[1], seen[0], 'the same envelope and public package either way');
    // Many at once spread over the workers, each answered.
    const many = await Promise.all(Array.from({ length: 8 }, () => pools[1]!.open(wrapped, [exporter.publicKey])));
    for (const o of many) assert.deepEqual([...o.envelope.secret.signingShare.expose()], share);
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
});
