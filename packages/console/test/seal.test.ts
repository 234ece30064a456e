// The console seals a typed identity to the nodes' recipients, as the SDK does: any one node opens it; nothing in the clear.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Decrypter, armor, generateHybridIdentity, generateIdentity, identityToRecipient } from 'age-encryption';
import { isClearIdentity, sealIdentity } from '../src/workflows/seal.js';

test('sealIdentity wraps an identity to every node, and any one node opens it', async () => {
  const nodeIdentities = await Promise.all([generateIdentity(), generateIdentity()]);
  const nodes = await Promise.all(
    nodeIdentities.map(async (id) => ({ recipientKey: await identityToRecipient(id), postQuantumRecipientKey: 'age1pq-unused' })),
  );
  const secret = await generateIdentity();
  const sealed = await sealIdentity(secret, nodes);
  assert.ok(!sealed.includes(secret), 'the identity is not in the sealed text');
  assert.equal(isClearIdentity(sealed), false);
  assert.equal(isClearIdentity(secret), true);
  for (const id of nodeIdentities) {
    const d = new Decrypter();
    d.addIdentity(id);
    assert.equal(await d.decrypt(armor.decode(sealed), 'text'), secret);
  }
});

test('a post-quantum identity is sealed to the nodes’ post-quantum recipients', async () => {
  const node = await generateHybridIdentity();
  const secret = await generateHybridIdentity();
  const sealed = await sealIdentity(secret, [{ recipientKey: 'age1-unused', postQuantumRecipientKey: await identityToRecipient(node) }]);
  const d = new Decrypter();
  d.addIdentity(node);
  assert.equal(await d.decrypt(armor.decode(sealed), 'text'), secret);
});
