/**
 * The math of frost-ed25519's distributed key generation, on the suite's Group (group.ts:
 * libsodium in production). It is noble's `DKG.round1/2/3` (Pedersen DKG with proofs of
 * knowledge, as in frost-rs `keys/dkg.rs`), step for step and byte for byte: the same draws
 * from the rng, the same hash (HDKG: SHA-512 of "FROST-ED25519-SHA512-v1dkg" ‖ m, reduced
 * little-endian), the same packages; noble stays the reference
 * (test/dkg-differential.test.ts) and the ZF frost DKG vectors run through both.
 *
 *   round1  coefficients a_0…a_{t−1} and a nonce k from noble's randomScalar, in that order;
 *           commitments C_j = a_j·G; proof of knowledge R ‖ μ with R = k·G,
 *           c = HDKG(id ‖ C_0 ‖ R), μ = k + a_0·c
 *   round2  for each other participant: every commitment and R pass DeserializeElement
 *           (RFC 9591 §3.1), μ is a canonical scalar, μ·G == R + c·C_0; then its share f(id)
 *   round3  each received share s satisfies s·G == Σ_j C_j·self^j (RFC 9591 Appendix C.2
 *           vss_verify), so does this participant's own; the signing share is their sum, the
 *           group commitments the sums of everyone's, each verifying share their evaluation
 *
 * Any failed check throws; dkg.ts names the culprit (see proofHolds). Secrets are bigints
 * (erased best effort, as noble's DKG.clean does) and the byte copies made here are zeroed.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';

import { toHex } from '@wr/common';

import { evaluateCommitment, parsePoint, parseScalar, type Group, type GroupElement } from './group.js';
import { evaluatePolynomialIn, randomScalarsOf, type Rng } from './polynomial.js';

const HDKG_PREFIX = utf8ToBytes('FROST-ED25519-SHA512-v1dkg');

/** One participant's DKG secrets between rounds. MUST NOT be sent or stored. */
export interface PedersenSecret {
  readonly id: bigint;
  readonly min: number;
  readonly max: number;
  coefficients: bigint[];
  commitment: GroupElement[];
  /** From round 2: every other participant's commitments, parsed, by identifier hex. */
  others?: Map<string, { id: bigint; commitment: GroupElement[] }>;
}

/** A round-1 package: what a participant broadcasts. */
export interface PedersenRound1 {
  identifier: string;
  commitment: Uint8Array[];
  proofOfKnowledge: Uint8Array;
}

/** The outcome as noble's DKG.round3 gives it, so both feed the same package conversion. */
export interface PedersenKey {
  public: { signers: { min: number; max: number }; commitments: Uint8Array[]; verifyingShares: Record<string, Uint8Array> };
  secret: { identifier: string; signingShare: Uint8Array };
}

function challenge(g: Group, id: bigint, verifyingKey: Uint8Array, R: Uint8Array): bigint {
  const h = sha512(concatBytes(HDKG_PREFIX, g.Fn.toBytes(id), verifyingKey, R));
  return g.Fn.create(BigInt('0x' + (Buffer.from(h).reverse().toString('hex') || '0')));
}

/** Round 1: a random polynomial of `min` terms, its commitments and the proof of knowledge of its constant term. */
export function pedersenRound1(g: Group, id: bigint, signers: { min: number; max: number }, rng: Rng): { secret: PedersenSecret; public: PedersenRound1 } {
  const { Fn } = g;
  const coefficients = randomScalarsOf(Fn, signers.min, rng);
  const commitment = coefficients.map((a) => g.multiplyBase(a));
  const [k] = randomScalarsOf(Fn, 1, rng);
  const R = g.multiplyBase(k!).toBytes();
  const C0 = commitment[0]!.toBytes();
  const mu = Fn.add(k!, Fn.mul(coefficients[0]!, challenge(g, id, C0, R)));
  const muBytes = Fn.toBytes(mu);
  const proofOfKnowledge = concatBytes(R, muBytes);
  muBytes.fill(0);
  return {
    secret: { id, min: signers.min, max: signers.max, coefficients, commitment },
    public: { identifier: toHex(Fn.toBytes(id)), commitment: commitment.map((c) => c.toBytes()), proofOfKnowledge },
  };
}

/**
 * The proof of knowledge of a sender's constant term holds: R and C_0 are valid elements, μ is
 * canonical and μ·G == R + HDKG(id ‖ C_0 ‖ R)·C_0. Public inputs only.
 */
export function proofHolds(g: Group, id: bigint, commitment: readonly Uint8Array[], proof: Uint8Array): boolean {
  const len = g.elementLength;
  if (!(proof instanceof Uint8Array) || proof.length !== len + g.Fn.BYTES || commitment.length < 1) return false;
  const R = parsePoint(g, proof.subarray(0, len));
  const C0 = parsePoint(g, commitment[0]!);
  const mu = parseScalar(g, proof.subarray(len));
  if (!R || !C0 || mu === undefined) return false;
  return g.multiplyBase(mu).equals(R.add(C0.multiplyUnsafe(challenge(g, id, commitment[0]!, proof.subarray(0, len)))));
}

/** Round 2: checks every other participant's package; returns the share for each, by identifier hex. Throws on a failed check. */
export function pedersenRound2(
  g: Group,
  secret: PedersenSecret,
  others: readonly PedersenRound1[],
  parseId: (hex: string) => bigint,
): Record<string, Uint8Array> {
  if (others.length !== secret.max - 1) throw new Error('wrong number of round1 packages');
  if (secret.others) throw new Error('round 2 already ran');
  const parsed = new Map<string, { id: bigint; commitment: GroupElement[] }>();
  for (const p of others) {
    const id = parseId(p.identifier);
    if (id === secret.id || parsed.has(p.identifier)) throw new Error('duplicate identifier');
    if (p.commitment.length !== secret.min) throw new Error('wrong number of commitments');
    const commitment = p.commitment.map((c) => parsePoint(g, c));
    if (commitment.some((c) => !c)) throw new Error('invalid commitment');
    if (!proofHolds(g, id, p.commitment, p.proofOfKnowledge)) throw new Error('invalid proof of knowledge');
    parsed.set(p.identifier, { id, commitment: commitment as GroupElement[] });
  }
  const shares: Record<string, Uint8Array> = {};
  for (const [hex, p] of parsed) shares[hex] = g.Fn.toBytes(evaluatePolynomialIn(g.Fn, secret.coefficients, p.id));
  secret.others = parsed;
  return shares;
}

/**
 * Round 3: checks each received share (and this participant's own) against its sender's
 * commitments, and combines them into the key. `received` holds one share per other
 * participant, by identifier hex. Throws on a failed check.
 */
export function pedersenRound3(g: Group, secret: PedersenSecret, received: ReadonlyMap<string, Uint8Array>): PedersenKey {
  const { Fn } = g;
  const others = secret.others;
  if (!others || received.size !== others.size) throw new Error('round 3 needs round 2 and one share per participant');
  const own = evaluatePolynomialIn(Fn, secret.coefficients, secret.id);
  if (!g.multiplyBase(own).equals(evaluateCommitment(secret.commitment, secret.id))) throw new Error('own share does not match its commitments');
  let signingShare = own;
  for (const [hex, p] of others) {
    const bytes = received.get(hex);
    const s = bytes && parseScalar(g, bytes);
    if (s === undefined || !g.multiplyBase(s).equals(evaluateCommitment(p.commitment, secret.id))) throw new Error('invalid secret share');
    signingShare = Fn.add(signingShare, s);
  }
  const selfHex = toHex(Fn.toBytes(secret.id));
  // Everyone's commitments, self first then by identifier (noble's order, which fixes verifyingShares' key order).
  const all = [[selfHex, { id: secret.id, commitment: secret.commitment }] as const, ...[...others].sort(([, a], [, b]) => (a.id < b.id ? -1 : 1))];
  const merged = secret.commitment.map((_, j) => all.map(([, p]) => p.commitment[j]!).reduce((a, b) => a.add(b)));
  const verifyingShares: Record<string, Uint8Array> = {};
  for (const [hex, p] of all) verifyingShares[hex] = evaluateCommitment(merged, p.id).toBytes();
  const share = Fn.toBytes(signingShare);
  return {
    public: { signers: { min: secret.min, max: secret.max }, commitments: merged.map((c) => c.toBytes()), verifyingShares },
    secret: { identifier: selfHex, signingShare: share },
  };
}

/** Best-effort erasure of the round secrets (bigint copies may survive in the heap). */
export function pedersenClean(secret: PedersenSecret): void {
  for (let i = 0; i < secret.coefficients.length; i++) secret.coefficients[i]! -= secret.coefficients[i]!;
  secret.coefficients = [];
  delete secret.others;
}
