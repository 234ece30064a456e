/** The lifecycle messages on the wire: signed broadcasts, signed and age-encrypted secrets; a refresh run through them. */
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { Secret, toHex, utf8 } from '@wr/common';

import {
  ShareInvalidError,
  getScheme,
  identifierFor,
  openLifecycleMessage,
  refreshRound1,
  refreshRound2,
  sealLifecycleMessage,
  signLifecycleBroadcast,
  signingPublicKey,
  verifyLifecycleBroadcast,
  type RefreshCommitment,
  type RefreshSubShare,
  type SealedLifecycleMessage,
} from '../src/index.js';
import { broadcastSigningBytes, secretPlaintext } from '../src/frost/lifecycle-messages.js';
import { dealerKey, hex, makeNodes, rejectsWith } from './helpers.js';
import { holdersOf, signWith } from './lifecycle-helpers.js';

describe('lifecycle messages: a refresh between three nodes over signed, encrypted messages', () => {
  it('frost-secp256k1-tr 2-of-3: every broadcast verifies, every sub-share opens, the results agree and sign', async () => {
    const scheme = 'frost-secp256k1-tr';
    const nodes = await makeNodes(scheme, 3);
    const key = dealerKey(scheme, 2, 3);
    const holders = holdersOf(key);
    const participants = nodes.map((n) => n.participant.identifier);
    assert.deepEqual(
      participants,
      holders.map((h) => h.secret.identifier),
    );
    const r1 = holders.map((h) => refreshRound1({ sessionId: 'wire', pub: h.public, secret: h.secret, epoch: 2, participants }));
    const broadcasts = r1.map((r, i) => ({
      message: r.commitment,
      signature: signLifecycleBroadcast('refresh-commitment', r.commitment, nodes[i]!.signingKey),
    }));
    const sealed: SealedLifecycleMessage[] = [];
    for (const [i, r] of r1.entries()) {
      for (const m of r.subShares) {
        const to = nodes.find((n) => n.participant.identifier === m.to)!;
        sealed.push(await sealLifecycleMessage('refresh-sub-share', m, { signingKey: nodes[i]!.signingKey, recipient: to.participant.recipient }));
        m.subShare.destroy();
      }
    }
    // What travels is plain JSON with no secret in the clear.
    const wire = JSON.parse(JSON.stringify({ broadcasts, sealed })) as { broadcasts: typeof broadcasts; sealed: SealedLifecycleMessage[] };
    const results = [];
    for (const [i, node] of nodes.entries()) {
      for (const b of wire.broadcasts) {
        const sender = nodes.find((n) => n.participant.identifier === b.message.from)!;
        assert.equal(verifyLifecycleBroadcast('refresh-commitment', b.message, b.signature, sender.participant.signingKey), true);
      }
      const inbox: RefreshSubShare[] = [];
      for (const s of wire.sealed.filter((x) => x.to === node.participant.identifier)) {
        const sender = nodes.find((n) => n.participant.identifier === s.from)!;
        inbox.push(await openLifecycleMessage('refresh-sub-share', s, { ageIdentity: node.ageIdentity, senderSigningKey: sender.participant.signingKey }));
      }
      results.push(
        refreshRound2(
          r1[i]!.state,
          wire.broadcasts.map((b) => b.message),
          inbox,
        ),
      );
    }
    assert.equal(new Set(results.map((r) => r.confirmation)).size, 1);
    assert.equal(results[0]!.epoch, 3);
    const msg = utf8('over the wire');
    assert.equal(getScheme(scheme).verify(signWith(scheme, [results[2]!, results[0]!], msg), msg, hex(key.public.groupPublicKey)), true);
  });
});

describe('lifecycle messages: receivers refuse what was not sealed for them by the claimed sender', () => {
  const scheme = 'frost-ed25519';
  const message = (): RefreshSubShare => ({
    sessionId: 's',
    scheme,
    epoch: 0,
    from: identifierFor(scheme, 1),
    to: identifierFor(scheme, 2),
    subShare: new Secret(new Uint8Array(32).fill(3)),
  });

  it('refuses another recipient, a rewritten envelope, another sender, and another kind', async () => {
    const [a, b, c] = await makeNodes(scheme, 3);
    const sealed = await sealLifecycleMessage('refresh-sub-share', message(), { signingKey: a!.signingKey, recipient: b!.participant.recipient });
    const open = (s: SealedLifecycleMessage, who = b!, sender = a!) =>
      openLifecycleMessage('refresh-sub-share', s, { ageIdentity: who.ageIdentity, senderSigningKey: sender.participant.signingKey });
    const opened = await open(sealed);
    assert.equal(toHex(opened.subShare.expose()), '03'.repeat(32));
    assert.throws(() => JSON.stringify(opened), TypeError);
    await rejectsWith(() => open(sealed, c!), 'NO_IDENTITY_MATCH');
    for (const change of [{ to: identifierFor(scheme, 3) }, { epoch: 1 }, { sessionId: 't' }, { from: identifierFor(scheme, 3) }]) {
      const err = (await rejectsWith(() => open({ ...sealed, ...change }), 'SHARE_INVALID', 'lifecycle-message-addressing')) as ShareInvalidError;
      assert.deepEqual(err.culprits, [change.from ?? identifierFor(scheme, 1)]);
    }
    await rejectsWith(() => open(sealed, b!, c!), 'SHARE_INVALID', 'lifecycle-message-signature');
    await rejectsWith(() => open({ ...sealed, ciphertext: sealed.ciphertext.replace(/\n[A-Za-z0-9+/]{10}/, '\nAAAAAAAAAA') }), 'WRAPPED_SHARE_CORRUPT');
    // A repair delta sealed with the same bytes cannot be opened as a refresh sub-share.
    const delta = await sealLifecycleMessage(
      'repair-delta',
      { ...message(), delta: new Secret(new Uint8Array(32)) },
      { signingKey: a!.signingKey, recipient: b!.participant.recipient },
    );
    assert.equal((await rejectsWith(() => open(delta), 'INVALID_ARGUMENT')).param, 'sealed');
    await rejectsWith(() => open({ ...delta, kind: 'refresh-sub-share' }), 'SHARE_INVALID', 'lifecycle-message-format');
  });

  it('a broadcast signature covers the kind, session, epoch, sender and every commitment', async () => {
    const [a, b] = await makeNodes(scheme, 2);
    const m: RefreshCommitment = { sessionId: 's', scheme, epoch: 4, from: identifierFor(scheme, 1), commitments: ['aa'.repeat(32), 'bb'.repeat(32)] };
    const sig = signLifecycleBroadcast('refresh-commitment', m, a!.signingKey);
    assert.equal(verifyLifecycleBroadcast('refresh-commitment', m, sig, a!.participant.signingKey), true);
    assert.equal(verifyLifecycleBroadcast('refresh-commitment', m, sig, b!.participant.signingKey), false);
    assert.equal(verifyLifecycleBroadcast('reshare-commitment', m, sig, a!.participant.signingKey), false);
    for (const change of [
      { epoch: 5 },
      { sessionId: 't' },
      { from: identifierFor(scheme, 2) },
      { commitments: ['aa'.repeat(32)] },
      { commitments: ['aa'.repeat(32), 'cc'.repeat(32)] },
    ])
      assert.equal(verifyLifecycleBroadcast('refresh-commitment', { ...m, ...change }, sig, a!.participant.signingKey), false);
    assert.equal(verifyLifecycleBroadcast('refresh-commitment', m, 'zz', a!.participant.signingKey), false);
  });
});

describe('lifecycle messages: golden (frozen wire format)', () => {
  it('the broadcast signature and the sealed plaintext of fixed inputs are unchanged', () => {
    const scheme = 'frost-secp256k1';
    const seed = new Secret(new Uint8Array(32).fill(0x42));
    const m: RefreshCommitment = { sessionId: 'golden', scheme, epoch: 7, from: identifierFor(scheme, 1), commitments: ['02' + '11'.repeat(32)] };
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    assert.ok(
      Buffer.from(broadcastSigningBytes('refresh-commitment', m)).toString('latin1').startsWith('wr/frost-lifecycle/refresh-commitment-signature/v1\0'),
    );
    assert.equal(signingPublicKey(seed), '2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12');
    assert.equal(sha(broadcastSigningBytes('refresh-commitment', m)), '7eaf90ba83c4fe41fc4bb0b1fbf78e7d90f81d965645360e3609920fb58227dd');
    assert.equal(
      signLifecycleBroadcast('refresh-commitment', m, seed),
      '7c82cf9b1917afd1e82c451022073f3ba7e7a678dc0b381b03737d8e07eca5b1cc3c68ed273c05422126bbaac9aedf26616967fb17bc3f7e90e7184fd2e8dd0b',
    );
    const header = { sessionId: 'golden', scheme, epoch: 7, from: identifierFor(scheme, 1), to: identifierFor(scheme, 2) };
    assert.equal(
      sha(secretPlaintext('reshare-sub-share', header, new Uint8Array(32).fill(9), new Uint8Array(64).fill(8))),
      'c5eb514ddc3c093eaa301a63e8e1765f99e3a8861ef51a8dc9029364f1e4c142',
    );
  });
});
