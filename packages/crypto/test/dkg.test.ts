/** DKG through dkgRound1/2/3 with real age identities, then signing with every quorum. */
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { schnorr } from '@noble/curves/secp256k1.js';
import { unwrap, wrap } from '@wr/age';
import { signRaw, toHex, utf8 } from '@wr/common';

import {
  ShareInvalidError,
  aggregateSignature,
  dkgRound1,
  dkgRound2,
  dkgRound3,
  getScheme,
  signRound1,
  signRound2,
  validateKeyPackage,
  type DkgResult,
  type DkgRound1Message,
  type DkgRound2Message,
  type SchemeName,
} from '../src/index.js';
import { decodeRound2Payload, encodeRound2Payload, round1SigningBytes, round2SigningBytes, transcriptHash } from '../src/frost/dkg-messages.js';
import { getSchemeSuite } from '../src/frost/schemes.js';
import { generateSigningKey } from '../src/node-keys.js';
import { hex, makeNodes, pairs, rejectsWith, runDkg, type Node } from './helpers.js';

function ed25519Verify(sig: Uint8Array, msg: Uint8Array, publicKey: Uint8Array): boolean {
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]);
  return nodeVerify(null, msg, createPublicKey({ key: spki, format: 'der', type: 'spki' }), sig);
}

function signWith(scheme: SchemeName, signers: DkgResult[], msg: Uint8Array): Uint8Array {
  const r1 = signers.map((k) => signRound1(scheme, k.secret));
  const list = r1.map((r) => r.commitments);
  const shares = Object.fromEntries(signers.map((k, i) => [k.secret.identifier, signRound2(scheme, k.secret, k.public, r1[i]!.nonces, list, msg)]));
  return aggregateSignature(scheme, signers[0]!.public, list, msg, shares);
}

describe('2-of-3 DKG with dkgRound1/2/3, signing with every pair', () => {
  const cases: [SchemeName, string, (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array) => boolean][] = [
    ['frost-ed25519', 'RFC 8032 Ed25519 via node:crypto (OpenSSL)', ed25519Verify],
    ['frost-secp256k1', 'RFC 9591 secp256k1 verification (Scheme.verify)', (sig, msg, pk) => getScheme('frost-secp256k1').verify(sig, msg, pk)],
    ['frost-secp256k1-tr', "BIP340 via noble's schnorr.verify", (sig, msg, pk) => schnorr.verify(sig, msg, pk)],
  ];
  for (const [scheme, verifierName, verify] of cases) {
    it(`${scheme}: all three agree on the key, and every pair signs a signature that verifies with ${verifierName}`, async () => {
      const nodes = await makeNodes(scheme, 3);
      const keys = await runDkg(scheme, 2, nodes);
      const s = getScheme(scheme);
      for (const k of keys) {
        assert.deepEqual(k.public, keys[0]!.public);
        assert.equal(k.transcriptHash, keys[0]!.transcriptHash);
        validateKeyPackage(k.public, k.secret);
      }
      assert.equal(hex(keys[0]!.public.groupPublicKey).length, s.publicKeyLength);
      for (const [a, b] of pairs(keys)) {
        const msg = utf8(`pair ${a.secret.identifier}/${b.secret.identifier}`);
        const sig = signWith(scheme, [a, b], msg);
        assert.equal(sig.length, s.signatureLength);
        assert.equal(verify(sig, msg, hex(a.public.groupPublicKey)), true);
        assert.equal(verify(sig, utf8('another message'), hex(a.public.groupPublicKey)), false);
      }
      // All three can sign too (NUM_PARTICIPANTS may exceed MIN_PARTICIPANTS).
      assert.equal(verify(signWith(scheme, keys, utf8('all')), utf8('all'), hex(keys[0]!.public.groupPublicKey)), true);
    });
  }

  it('frost-ed25519 3-of-5: every 3-subset and the full set sign', async () => {
    const nodes = await makeNodes('frost-ed25519', 5);
    const keys = await runDkg('frost-ed25519', 3, nodes);
    const msg = utf8('3-of-5');
    const pk = hex(keys[0]!.public.groupPublicKey);
    for (const trio of [
      [0, 1, 2],
      [0, 2, 4],
      [1, 3, 4],
      [2, 3, 4],
    ])
      assert.equal(
        ed25519Verify(
          signWith(
            'frost-ed25519',
            trio.map((i) => keys[i]!),
            msg,
          ),
          msg,
          pk,
        ),
        true,
      );
    await rejectsWith(() => signWith('frost-ed25519', [keys[0]!, keys[1]!], msg), 'INVALID_ARGUMENT');
  });
});

/** Runs rounds 1 and 2 for all nodes; the caller decides what each one receives. */
async function startDkg(scheme: SchemeName, nodes: Node[], sessionId = 'sess') {
  const participants = nodes.map((n) => n.participant);
  const r1 = nodes.map((n) => dkgRound1({ sessionId, scheme, minSigners: 2, participants, self: n.participant.identifier, signingKey: n.signingKey }));
  return { participants, r1, messages: r1.map((r) => r.message) };
}

const to = (msgs: DkgRound2Message[], n: Node) => msgs.filter((m) => m.to === n.participant.identifier);

describe('DKG protocol safety', () => {
  it('refuses to finish when one participant showed a different round-1 broadcast to another (equivocation)', async () => {
    const scheme = 'frost-ed25519';
    const nodes = await makeNodes(scheme, 3);
    const { participants, r1, messages } = await startDkg(scheme, nodes);
    // Node 0 equivocates: a second, validly signed round-1 broadcast for node 2 only.
    const alt = dkgRound1({ sessionId: 'sess', scheme, minSigners: 2, participants, self: nodes[0]!.participant.identifier, signingKey: nodes[0]!.signingKey });
    const seenBy2 = [alt.message, messages[1]!, messages[2]!];
    const out0 = await dkgRound2(r1[0]!.state, messages);
    const out1 = await dkgRound2(r1[1]!.state, messages);
    const out2 = await dkgRound2(r1[2]!.state, seenBy2);
    const all = [...out0, ...out1, ...out2];
    const e1 = await rejectsWith(() => dkgRound3(r1[1]!.state, to(all, nodes[1]!), nodes[1]!.ageIdentity), 'SHARE_INVALID', 'transcript');
    assert.deepEqual((e1 as ShareInvalidError).culprits, [nodes[2]!.participant.identifier]);
    assert.match(e1.message, /different round-1 broadcasts/);
    const e2 = await rejectsWith(() => dkgRound3(r1[2]!.state, to(all, nodes[2]!), nodes[2]!.ageIdentity), 'SHARE_INVALID', 'transcript');
    assert.deepEqual([...(e2 as ShareInvalidError).culprits].sort(), [nodes[0]!.participant.identifier, nodes[1]!.participant.identifier].sort());
    // A refused session is over: the states are aborted.
    assert.equal(r1[1]!.state.stage, 'aborted');
    await rejectsWith(() => dkgRound3(r1[1]!.state, to(all, nodes[1]!), nodes[1]!.ageIdentity), 'INVALID_ARGUMENT');
  });

  it('refuses a round-1 broadcast with a bad node signature, naming the sender', async () => {
    const nodes = await makeNodes('frost-secp256k1', 3);
    const { r1, messages } = await startDkg('frost-secp256k1', nodes);
    const flip = (h: string) => (h[0] === '0' ? '1' : '0') + h.slice(1);
    const forged: DkgRound1Message = { ...messages[1]!, signature: flip(messages[1]!.signature) };
    const e = await rejectsWith(() => dkgRound2(r1[0]!.state, [messages[0]!, forged, messages[2]!]), 'SHARE_INVALID', 'round1-signature');
    assert.deepEqual((e as ShareInvalidError).culprits, [nodes[1]!.participant.identifier]);
    // A commitment swapped under a valid signature is caught by the same check.
    const swapped: DkgRound1Message = { ...messages[2]!, commitment: [...messages[1]!.commitment] };
    await rejectsWith(() => dkgRound2(r1[1]!.state, [messages[0]!, messages[1]!, swapped]), 'SHARE_INVALID', 'round1-signature');
    // Re-signed by a key that is not the participant's.
    const mallory = generateSigningKey();
    const m2 = messages[2]!;
    const resigned: DkgRound1Message = {
      ...m2,
      signature: toHex(signRaw(mallory.secretKey, round1SigningBytes('sess', 'frost-secp256k1', m2.from, m2.commitment.map(hex), hex(m2.proofOfKnowledge)))),
    };
    await rejectsWith(() => dkgRound2(r1[2]!.state, [messages[0]!, messages[1]!, resigned]), 'SHARE_INVALID', 'round1-signature');
  });

  it('refuses a round-2 package with a bad sender signature, or signed by someone else', async () => {
    const scheme = 'frost-secp256k1-tr';
    const nodes = await makeNodes(scheme, 3);
    const { r1, messages } = await startDkg(scheme, nodes);
    const out = (await Promise.all(r1.map((r) => dkgRound2(r.state, messages)))).flat();
    const [a, b, c] = nodes as [Node, Node, Node];
    // The attacker knows c's recipient: it rewrites b's package to c with a corrupted signature.
    const original = out.find((m) => m.from === b.participant.identifier && m.to === c.participant.identifier)!;
    const plain = await unwrap(original.ciphertext, { identities: [c.ageIdentity] });
    const dec = decodeRound2Payload(plain)!;
    const badSig = Uint8Array.from(dec.signature);
    badSig[0]! ^= 1;
    const tampered = { ...original, ciphertext: await wrap(encodeRound2Payload(dec.body, badSig), [c.participant.recipient]) };
    const inbox = to(out, c).map((m) => (m === original ? tampered : m));
    const e = await rejectsWith(() => dkgRound3(r1[2]!.state, inbox, c.ageIdentity), 'SHARE_INVALID', 'round2-signature');
    assert.deepEqual((e as ShareInvalidError).culprits, [b.participant.identifier]);

    // Same against a's state, with a package from b re-signed by a key that is not b's.
    const toA = out.find((m) => m.from === b.participant.identifier && m.to === a.participant.identifier)!;
    const decA = decodeRound2Payload(await unwrap(toA.ciphertext, { identities: [a.ageIdentity] }))!;
    const mallory = generateSigningKey();
    const resigned = {
      ...toA,
      ciphertext: await wrap(encodeRound2Payload(decA.body, signRaw(mallory.secretKey, round2SigningBytes(decA.body))), [a.participant.recipient]),
    };
    await rejectsWith(
      () =>
        dkgRound3(
          r1[0]!.state,
          to(out, a).map((m) => (m === toA ? resigned : m)),
          a.ageIdentity,
        ),
      'SHARE_INVALID',
      'round2-signature',
    );
  });

  it("refuses a round-2 share inconsistent with its sender's commitment, even when properly signed", async () => {
    const scheme = 'frost-ed25519';
    const nodes = await makeNodes(scheme, 3);
    const { r1, messages } = await startDkg(scheme, nodes);
    const out = (await Promise.all(r1.map((r) => dkgRound2(r.state, messages)))).flat();
    const [, b, c] = nodes as [Node, Node, Node];
    const original = out.find((m) => m.from === b.participant.identifier && m.to === c.participant.identifier)!;
    const dec = decodeRound2Payload(await unwrap(original.ciphertext, { identities: [c.ageIdentity] }))!;
    const body = { ...dec.body, signingShare: getSchemeSuite(scheme).frost.utils.randomScalar() };
    const evil = { ...original, ciphertext: await wrap(encodeRound2Payload(body, signRaw(b.signingKey, round2SigningBytes(body))), [c.participant.recipient]) };
    const e = await rejectsWith(
      () =>
        dkgRound3(
          r1[2]!.state,
          to(out, c).map((m) => (m === original ? evil : m)),
          c.ageIdentity,
        ),
      'SHARE_INVALID',
      'round2-share',
    );
    assert.deepEqual((e as ShareInvalidError).culprits, [b.participant.identifier]);
  });

  it('rejects replaying a round: a state runs each round once, in order; messages from another session are refused', async () => {
    const scheme = 'frost-ed25519';
    const nodes = await makeNodes(scheme, 3);
    const { r1, messages } = await startDkg(scheme, nodes);
    const [a, b, c] = nodes as [Node, Node, Node];
    await rejectsWith(() => dkgRound3(r1[0]!.state, [], a.ageIdentity), 'INVALID_ARGUMENT'); // round 3 before round 2 …
    assert.equal(r1[0]!.state.stage, 'awaiting-round2'); // … is refused without spending the state
    const out = (await Promise.all(r1.map((r) => dkgRound2(r.state, messages)))).flat();
    const e = await rejectsWith(() => dkgRound2(r1[0]!.state, messages), 'INVALID_ARGUMENT');
    assert.equal(e.param, 'state');
    // A concurrent second run of the same round is refused too.
    const keys = await Promise.allSettled([dkgRound3(r1[1]!.state, to(out, b), b.ageIdentity), dkgRound3(r1[1]!.state, to(out, b), b.ageIdentity)]);
    assert.equal(keys.filter((k) => k.status === 'fulfilled').length, 1);
    await rejectsWith(() => dkgRound3(r1[1]!.state, to(out, b), b.ageIdentity), 'INVALID_ARGUMENT');
    assert.equal(r1[1]!.state.stage, 'finished');

    // Round-2 messages of this session replayed into a new session with the same participants.
    const next = await startDkg(scheme, nodes, 'sess-2');
    await dkgRound2(next.r1[2]!.state, next.messages);
    await rejectsWith(() => dkgRound3(next.r1[2]!.state, to(out, c), c.ageIdentity), 'INVALID_ARGUMENT');
    const next2 = await startDkg(scheme, nodes, 'sess-3');
    await dkgRound2(next2.r1[2]!.state, next2.messages);
    const relabelled = to(out, c).map((m) => ({ ...m, sessionId: 'sess-3' }));
    await rejectsWith(() => dkgRound3(next2.r1[2]!.state, relabelled, c.ageIdentity), 'SHARE_INVALID', 'round2-addressing');
    // Round-1 messages from another session.
    await rejectsWith(() => dkgRound2(r1[2]!.state, next.messages), 'INVALID_ARGUMENT');
  });

  it('refuses a tampered own broadcast, wrong counts, non-participants, and a mismatched signing key', async () => {
    const scheme = 'frost-ed25519';
    const nodes = await makeNodes(scheme, 3);
    const { participants, r1, messages } = await startDkg(scheme, nodes);
    const alt = dkgRound1({ sessionId: 'sess', scheme, minSigners: 2, participants, self: nodes[0]!.participant.identifier, signingKey: nodes[0]!.signingKey });
    await rejectsWith(() => dkgRound2(r1[0]!.state, [alt.message, messages[1]!, messages[2]!]), 'SHARE_INVALID', 'round1-own');
    await rejectsWith(() => dkgRound2(r1[1]!.state, messages.slice(0, 2)), 'INVALID_ARGUMENT');
    await rejectsWith(() => dkgRound2(r1[2]!.state, [messages[0]!, messages[0]!, messages[2]!]), 'INVALID_ARGUMENT');
    const e = await rejectsWith(
      () => dkgRound1({ sessionId: 'x', scheme, minSigners: 2, participants, self: nodes[0]!.participant.identifier, signingKey: nodes[1]!.signingKey }),
      'INVALID_ARGUMENT',
    );
    assert.equal(e.param, 'signingKey');
    await rejectsWith(
      () => dkgRound1({ sessionId: 'x', scheme, minSigners: 4, participants, self: nodes[0]!.participant.identifier, signingKey: nodes[0]!.signingKey }),
      'INVALID_ARGUMENT',
    );
    await rejectsWith(
      () =>
        dkgRound1({
          sessionId: 'x',
          scheme,
          minSigners: 2,
          participants: [participants[0]!, participants[0]!],
          self: nodes[0]!.participant.identifier,
          signingKey: nodes[0]!.signingKey,
        }),
      'INVALID_ARGUMENT',
    );
    await rejectsWith(
      () =>
        dkgRound1({
          sessionId: 'x',
          scheme: 'frost-p256' as SchemeName,
          minSigners: 2,
          participants,
          self: nodes[0]!.participant.identifier,
          signingKey: nodes[0]!.signingKey,
        }),
      'INVALID_ARGUMENT',
    );
  });

  it('a wrong age identity gets NO_IDENTITY_MATCH and aborts the session', async () => {
    const nodes = await makeNodes('frost-ed25519', 3);
    const { r1, messages } = await startDkg('frost-ed25519', nodes);
    const out = (await Promise.all(r1.map((r) => dkgRound2(r.state, messages)))).flat();
    await rejectsWith(() => dkgRound3(r1[0]!.state, to(out, nodes[0]!), nodes[1]!.ageIdentity), 'NO_IDENTITY_MATCH');
    assert.equal(r1[0]!.state.stage, 'aborted');
  });

  it('round state redacts itself and refuses JSON; round-2 messages hold no share in clear', async () => {
    const nodes = await makeNodes('frost-ed25519', 3);
    const { r1, messages } = await startDkg('frost-ed25519', nodes);
    const state = r1[0]!.state;
    assert.equal(String(state), '<redacted>');
    assert.match(inspect(state), /^SecretDkgState\(sess, frost-ed25519, [0-9a-f]+, awaiting-round2, <redacted>\)$/);
    assert.throws(() => JSON.stringify(state), TypeError);
    assert.throws(() => JSON.stringify({ nested: state }), TypeError);
    const out = await dkgRound2(state, messages);
    for (const m of out) {
      assert.match(m.ciphertext, /^-----BEGIN AGE ENCRYPTED FILE-----/);
      const plain = await unwrap(m.ciphertext, { identities: [nodes.find((n) => n.participant.identifier === m.to)!.ageIdentity] });
      const share = toHex(decodeRound2Payload(plain)!.body.signingShare);
      assert.equal(JSON.stringify(m).includes(share), false);
    }
    state.destroy();
    assert.equal(state.stage, 'aborted');
  });
});

describe('DKG wire formats (golden)', () => {
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const c = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
  const pok = new Uint8Array(64).fill(3);
  const id1 = '01' + '00'.repeat(31);
  const id2 = '02' + '00'.repeat(31);

  it('round-1 signing bytes, transcript hash and round-2 payload are frozen', () => {
    assert.equal(
      toHex(round1SigningBytes('s', 'frost-ed25519', id1, [new Uint8Array([1, 2])], new Uint8Array([3]))),
      toHex(utf8('wr/frost-dkg/round1/v1')) +
        '00' +
        '00000001' +
        toHex(utf8('s')) +
        '0000000d' +
        toHex(utf8('frost-ed25519')) +
        '00000040' +
        toHex(utf8(id1)) +
        '00000004' +
        '00000001' +
        '00000002' +
        '0102' +
        '00000001' +
        '03',
    );
    assert.equal(sha(round1SigningBytes('session-1', 'frost-ed25519', id1, c, pok)), '215239f80814cbe38f98c205192d968d3fc03aec31b167c5e86ca6eddb752db9');
    const participants = [
      { identifier: id2, recipient: 'age1b', signingKey: 'bb'.repeat(32) },
      { identifier: id1, recipient: 'age1a', signingKey: 'aa'.repeat(32) },
    ];
    const round1 = [
      { from: id2, commitment: c, proofOfKnowledge: pok },
      { from: id1, commitment: [c[1]!, c[0]!], proofOfKnowledge: pok },
    ];
    const input = { sessionId: 'session-1', scheme: 'frost-ed25519' as const, minSigners: 2, maxSigners: 2, participants, round1 };
    const golden = '043b1441fa8d965c24c157a43075cc1e929761b00ed2cfa213aa913c80dd4d0d';
    assert.equal(toHex(transcriptHash(input)), golden);
    // Independent of the order participants and messages arrive in; sensitive to everything else.
    assert.equal(toHex(transcriptHash({ ...input, participants: [...participants].reverse(), round1: [...round1].reverse() })), golden);
    assert.notEqual(toHex(transcriptHash({ ...input, minSigners: 1 })), golden);
    assert.notEqual(toHex(transcriptHash({ ...input, round1: [round1[0]!, { ...round1[1]!, commitment: c }] })), golden);
    const body = {
      sessionId: 'session-1',
      scheme: 'frost-ed25519',
      from: id1,
      to: id2,
      signingShare: new Uint8Array(32).fill(7),
      transcriptHash: new Uint8Array(32).fill(9),
    };
    assert.equal(sha(round2SigningBytes(body)), '0933db4ef75bdd0a45f651c0fb0c02dd0f3f5ee5588c2312952e1b477a607c61');
    const payload = encodeRound2Payload(body, new Uint8Array(64).fill(5));
    assert.equal(sha(payload), '4a5aae3198ce8bd84c65583933849b42b948d0548fb694cf3456ba0955196d22');
    assert.deepEqual(decodeRound2Payload(payload)?.body, body);
    assert.equal(decodeRound2Payload(new Uint8Array([...payload, 0])), undefined);
    assert.equal(decodeRound2Payload(payload.subarray(0, payload.length - 1)), undefined);
  });
});
