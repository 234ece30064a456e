/**
 * RFC 9591 Appendix E signing vectors and the ZF frost DKG vectors, run unedited
 * through wr's code paths (signRound1 → signRound2 → aggregateSignature → the
 * standard verifier), through noble's DKG rounds, and (frost-ed25519) through
 * dkg-pedersen.ts's rounds on libsodium and on noble's points.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { ed25519_FROST } from '@noble/curves/ed25519.js';
import { hash_to_field } from '@noble/curves/abstract/hash-to-curve.js';
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { toHex, utf8 } from '@wr/common';

import { aggregateSignature, getScheme, signRound1, signRound2, validateKeyPackage, type SchemeName, type SigningCommitments } from '../src/index.js';
import { publicKeyPackageFromFrost, secretKeyPackageFromFrost } from '../src/frost/key-package.js';
import { pedersenRound1, pedersenRound2, pedersenRound3, proofHolds } from '../src/frost/dkg-pedersen.js';
import { ED25519_SODIUM_GROUP } from '../src/frost/ed25519-sodium.js';
import { ED25519_NOBLE_GROUP, type Group } from '../src/frost/group.js';
import { getSchemeSuite } from '../src/frost/schemes.js';
import { exposeNoncesForTest, signRound1FromRandomness, type SecretNonces } from '../src/frost/signing.js';
import { VECTOR_FILE, hex, queueRng, readVector, scalarRandomness, vectorDealerKey } from './helpers.js';

const SUITES: SchemeName[] = ['frost-ed25519', 'frost-secp256k1', 'frost-secp256k1-tr'];

/** RFC 9591 §6.1 / §6.5 hash functions (and the TR suite's), written from the spec to check binding factors. */
function specHashes(scheme: SchemeName) {
  const ctx = getScheme(scheme).ciphersuite;
  if (scheme === 'frost-ed25519') {
    const L = ed25519_FROST.utils.Fn.ORDER;
    const leInt = (b: Uint8Array) => BigInt('0x' + toHex(Uint8Array.from(b).reverse()));
    return {
      H1: (m: Uint8Array) => leInt(sha512(new Uint8Array([...utf8(ctx + 'rho'), ...m]))) % L,
      H4: (m: Uint8Array) => sha512(new Uint8Array([...utf8(ctx + 'msg'), ...m])),
      H5: (m: Uint8Array) => sha512(new Uint8Array([...utf8(ctx + 'com'), ...m])),
      scalarBytes: (n: bigint) => ed25519_FROST.utils.Fn.toBytes(n),
    };
  }
  const n = secp256k1.Point.Fn.ORDER;
  return {
    // hash_to_field(m, 1) with expand_message_xmd(SHA-256), DST = contextString || "rho" (§6.5).
    H1: (m: Uint8Array) => hash_to_field(m, 1, { DST: ctx + 'rho', p: n, m: 1, k: 128, expand: 'xmd', hash: sha256 })[0]![0]!,
    H4: (m: Uint8Array) => sha256(new Uint8Array([...utf8(ctx + 'msg'), ...m])),
    H5: (m: Uint8Array) => sha256(new Uint8Array([...utf8(ctx + 'com'), ...m])),
    scalarBytes: (x: bigint) => secp256k1.Point.Fn.toBytes(x),
  };
}

function standardVerify(scheme: SchemeName, sig: Uint8Array, msg: Uint8Array, groupPublicKey: Uint8Array): boolean {
  if (scheme === 'frost-ed25519') {
    // RFC 8032 Ed25519 through OpenSSL (node:crypto), not noble.
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), groupPublicKey]);
    return nodeVerify(null, msg, createPublicKey({ key: spki, format: 'der', type: 'spki' }), sig);
  }
  if (scheme === 'frost-secp256k1-tr') return schnorr.verify(sig, msg, groupPublicKey);
  return getScheme(scheme).verify(sig, msg, groupPublicKey);
}

describe('RFC 9591 Appendix E signing vectors', () => {
  for (const scheme of SUITES) {
    it(`${scheme} (${VECTOR_FILE[scheme]}-vectors.json): dealer shares, nonces, commitments, binding factors, signature shares, final signature`, () => {
      const { public: pub, secrets, vector: t } = vectorDealerKey(scheme);
      const s = getSchemeSuite(scheme);
      const msg = hex(t.inputs.message);

      // Appendix C dealer output, as the vector states it.
      assert.equal(pub.commitments[0], t.inputs.verifying_key_key);
      assert.equal(pub.groupPublicKey, toHex(s.publicKeyForVerifier(hex(t.inputs.verifying_key_key))));
      for (const ps of t.inputs.participant_shares) {
        const secret = secrets.find((x) => x.identifier === s.frost.Identifier.fromNumber(ps.identifier))!;
        assert.equal(toHex(secret.signingShare.expose()), ps.participant_share, `share ${ps.identifier}`);
        validateKeyPackage(pub, secret);
      }

      // Round one (§5.1) from the vector's nonce randomness.
      const byNumber = (n: number) => secrets.find((x) => x.identifier === s.frost.Identifier.fromNumber(n))!;
      const nonces = new Map<string, SecretNonces>();
      const commitments: SigningCommitments[] = [];
      for (const o of t.round_one_outputs.outputs) {
        const secret = byNumber(o.identifier);
        const r = signRound1FromRandomness(scheme, secret, hex(o.hiding_nonce_randomness), hex(o.binding_nonce_randomness));
        assert.deepEqual(exposeNoncesForTest(r.nonces), { hiding: o.hiding_nonce, binding: o.binding_nonce }, `nonces ${o.identifier}`);
        assert.equal(r.commitments.hiding, o.hiding_nonce_commitment);
        assert.equal(r.commitments.binding, o.binding_nonce_commitment);
        nonces.set(secret.identifier, r.nonces);
        commitments.push(r.commitments);
      }

      // Binding factors (§4.4), recomputed from the spec's definitions: noble keeps them internal.
      const H = specHashes(scheme);
      const sorted = [...commitments].sort((a, b) => (s.frost.utils.Fn.fromBytes(hex(a.identifier)) < s.frost.utils.Fn.fromBytes(hex(b.identifier)) ? -1 : 1));
      const encoded = new Uint8Array(sorted.flatMap((c) => [...hex(c.identifier), ...hex(c.hiding), ...hex(c.binding)]));
      const prefix = new Uint8Array([...hex(t.inputs.verifying_key_key), ...H.H4(msg), ...H.H5(encoded)]);
      for (const o of t.round_one_outputs.outputs) {
        const input = new Uint8Array([...prefix, ...hex(byNumber(o.identifier).identifier)]);
        assert.equal(toHex(input), o.binding_factor_input, `binding factor input ${o.identifier}`);
        assert.equal(toHex(H.scalarBytes(H.H1(input))), o.binding_factor, `binding factor ${o.identifier}`);
      }

      // Round two (§5.2) through signRound2.
      const shares: Record<string, string> = {};
      for (const o of t.round_two_outputs.outputs) {
        const secret = byNumber(o.identifier);
        shares[secret.identifier] = signRound2(scheme, secret, pub, nonces.get(secret.identifier)!, commitments, msg);
        assert.equal(shares[secret.identifier], o.sig_share, `signature share ${o.identifier}`);
      }

      // Aggregation (§5.3) and the standard verifier.
      const sig = aggregateSignature(scheme, pub, commitments, msg, shares);
      assert.equal(toHex(sig), t.final_output.sig);
      assert.equal(s.verify(sig, msg, hex(pub.groupPublicKey)), true);
      assert.equal(standardVerify(scheme, sig, msg, hex(pub.groupPublicKey)), true);
    });
  }
});

describe('FROST DKG vectors (ZF frost format)', () => {
  for (const scheme of SUITES) {
    it(`${scheme} (${VECTOR_FILE[scheme]}-vectors_dkg.json): commitments, proofs of knowledge, round-2 shares, signing and verifying shares, group key`, () => {
      const t = readVector(`${VECTOR_FILE[scheme]}-vectors_dkg.json`);
      const s = getSchemeSuite(scheme);
      const { frost } = s;
      const Fn = frost.utils.Fn;
      const signers = { min: t.config.MIN_PARTICIPANTS as number, max: t.config.MAX_PARTICIPANTS as number };
      const ids = Object.keys(t.inputs)
        .filter((k) => typeof t.inputs[k] === 'object')
        .map(Number);
      assert.equal(ids.length, signers.max);
      const round1 = new Map(
        ids.map((n) => [
          n,
          {
            identifier: frost.Identifier.fromNumber(n),
            commitment: t.inputs[n].vss_commitments.map(hex),
            proofOfKnowledge: hex(t.inputs[n].proof_of_knowledge),
          },
        ]),
      );
      const results = [];
      for (const n of ids) {
        const v = t.inputs[n];
        // The vector gives each participant's secret polynomial (signing_key, coefficient), not the
        // randomness its proof of knowledge used: the commitments are re-derived, the proofs verified
        // (DKG.round2 below rejects any invalid proof of knowledge).
        const poly = frost.utils.generateSecretPolynomial(signers, hex(v.signing_key), [Fn.fromBytes(hex(v.coefficient))]);
        assert.deepEqual(poly.commitment.map(toHex), v.vss_commitments, `commitments of ${n}`);
        const secret = {
          identifier: Fn.fromBytes(hex(frost.Identifier.fromNumber(n))),
          coefficients: poly.coefficients,
          commitment: poly.commitment,
          signers,
          step: 1 as const,
        };
        const others = ids.filter((o) => o !== n);
        const sent = frost.DKG.round2(
          secret,
          others.map((o) => round1.get(o)!),
        );
        // `signing_shares` of participant X lists what X received from each sender.
        for (const o of others)
          assert.equal(toHex(sent[frost.Identifier.fromNumber(o)]!.signingShare), t.inputs[o].signing_shares[String(n)], `share ${n}→${o}`);
        const received = others.map((o) => ({ identifier: frost.Identifier.fromNumber(o), signingShare: hex(v.signing_shares[String(o)]) }));
        const key = frost.DKG.round3(
          secret,
          others.map((o) => round1.get(o)!),
          received,
        );
        assert.equal(toHex(key.public.commitments[0]!), t.inputs.verifying_key, 'group key');
        assert.equal(toHex(key.secret.signingShare), v.signing_share, `signing share of ${n}`);
        for (const o of ids)
          assert.equal(toHex(key.public.verifyingShares[frost.Identifier.fromNumber(o)]!), t.inputs[o].verifying_share, `verifying share of ${o}`);
        const pub = publicKeyPackageFromFrost(scheme, key.public);
        const sk = secretKeyPackageFromFrost(key.secret);
        validateKeyPackage(pub, sk);
        results.push({ pub, sk });
      }
      // Every participant ends with the same public package, and two shares sign.
      for (const r of results) assert.deepEqual(r.pub, results[0]!.pub);
      const [a, b] = [results[0]!, results[2]!];
      const msg = utf8('signed by a vector DKG key');
      const ra = signRound1(scheme, a.sk);
      const rb = signRound1(scheme, b.sk);
      const list = [ra.commitments, rb.commitments];
      const sig = aggregateSignature(scheme, a.pub, list, msg, {
        [a.sk.identifier]: signRound2(scheme, a.sk, a.pub, ra.nonces, list, msg),
        [b.sk.identifier]: signRound2(scheme, b.sk, b.pub, rb.nonces, list, msg),
      });
      assert.equal(standardVerify(scheme, sig, msg, hex(a.pub.groupPublicKey)), true);
    });
  }
});

describe('FROST DKG vectors (ZF frost format) through dkg-pedersen.ts', () => {
  const groups: [string, Group][] = [
    ['libsodium', ED25519_SODIUM_GROUP],
    ['noble', ED25519_NOBLE_GROUP],
  ];
  for (const [name, g] of groups) {
    it(`frost-ed25519 (ed25519-vectors_dkg.json) on ${name}: commitments, proofs of knowledge, round-2 shares, signing and verifying shares, group key`, () => {
      const scheme = 'frost-ed25519';
      const t = readVector('ed25519-vectors_dkg.json');
      const { Identifier } = getSchemeSuite(scheme).frost;
      const signers = { min: t.config.MIN_PARTICIPANTS as number, max: t.config.MAX_PARTICIPANTS as number };
      const ids = Object.keys(t.inputs)
        .filter((k) => typeof t.inputs[k] === 'object')
        .map(Number);
      const idOf = (h: string) => g.Fn.fromBytes(hex(h));
      const round1 = new Map(
        ids.map((n) => [
          n,
          { identifier: Identifier.fromNumber(n), commitment: t.inputs[n].vss_commitments.map(hex), proofOfKnowledge: hex(t.inputs[n].proof_of_knowledge) },
        ]),
      );
      for (const n of ids) {
        const v = t.inputs[n];
        const id = idOf(Identifier.fromNumber(n));
        assert.ok(proofHolds(g, id, round1.get(n)!.commitment, round1.get(n)!.proofOfKnowledge), `proof of knowledge of ${n}`);
        // The vector gives the polynomial (signing_key, coefficient), not the proof's nonce: the rng
        // yields the coefficients, then any nonce; the proof made with it must verify.
        const rng = queueRng([scalarRandomness(scheme, v.signing_key), scalarRandomness(scheme, v.coefficient), new Uint8Array(48).fill(7)]);
        const r1 = pedersenRound1(g, id, signers, rng);
        assert.deepEqual(r1.public.commitment.map(toHex), v.vss_commitments, `commitments of ${n}`);
        assert.ok(proofHolds(g, id, r1.public.commitment, r1.public.proofOfKnowledge), `own proof of knowledge of ${n}`);
        const others = ids.filter((o) => o !== n);
        const sent = pedersenRound2(
          g,
          r1.secret,
          others.map((o) => round1.get(o)!),
          idOf,
        );
        for (const o of others) assert.equal(toHex(sent[Identifier.fromNumber(o)]!), t.inputs[o].signing_shares[String(n)], `share ${n}→${o}`);
        const key = pedersenRound3(g, r1.secret, new Map(others.map((o) => [Identifier.fromNumber(o), hex(v.signing_shares[String(o)])])));
        assert.equal(toHex(key.public.commitments[0]!), t.inputs.verifying_key, 'group key');
        assert.equal(toHex(key.secret.signingShare), v.signing_share, `signing share of ${n}`);
        for (const o of ids) assert.equal(toHex(key.public.verifyingShares[Identifier.fromNumber(o)]!), t.inputs[o].verifying_share, `verifying share of ${o}`);
        validateKeyPackage(publicKeyPackageFromFrost(scheme, key.public), secretKeyPackageFromFrost(key.secret));
      }
    });
  }
});
