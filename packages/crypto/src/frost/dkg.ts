/**
 * Distributed key generation as message-driven steps a node runs on its own.
 * The math is noble's `DKG.round1/2/3` (Pedersen DKG with proofs of knowledge,
 * as in frost-rs `keys/dkg.rs`; RFC 9591 leaves DKG out of scope); for frost-ed25519
 * it is the same rounds on libsodium (dkg-pedersen.ts), with noble as their reference.
 * Protocol safety around it is ours:
 *
 *  - round-1 broadcasts are signed by each node's Ed25519 key, and every
 *    signature is checked against the agreed participant list;
 *  - every participant hashes the round-1 broadcasts it received into a
 *    transcript hash, and puts it into each round-2 package it sends; round 3
 *    refuses to finish unless every sender's hash equals its own, so a
 *    participant who showed different broadcasts to different peers
 *    (equivocation) is caught before any key exists;
 *  - round-2 packages carry a signing share: each one is signed by its sender
 *    and travels only inside an age file to its recipient's X25519 identity;
 *  - state is one-use: each round consumes it, any failure aborts it and erases
 *    its secrets; running a round twice or out of order throws.
 */
import { inspect } from 'node:util';

import type { DKG_Round1, DKG_Round2 } from '@noble/curves/abstract/frost.js';

import { unwrap, wrap } from '@wr/age';
import { invalidArgument, Secret, seedOf, signRaw, toHex, verifyRaw, WrError, hexBytes } from '@wr/common';

import { ShareInvalidError } from '../errors.js';
import { signingPublicKey } from '../node-keys.js';
import { decodeRound2Payload, encodeRound2Payload, round1SigningBytes, round2SigningBytes, transcriptHash } from './dkg-messages.js';
import { pedersenClean, pedersenRound1, pedersenRound2, pedersenRound3, proofHolds, type PedersenKey } from './dkg-pedersen.js';
import { baseMultiply, evaluateCommitment, parseIdentifier, parsePoint, parseScalar, type Group, type GroupElement } from './group.js';
import { MAX_SIGNERS, publicKeyPackageFromFrost, secretKeyPackageFromFrost, type PublicKeyPackage, type SecretKeyPackage } from './key-package.js';
import { defaultRng, type Rng } from './polynomial.js';
import { getSchemeSuite, onSodium, type SchemeSuite, type SchemeName } from './schemes.js';
import { validateKeyPackageCached } from './validation-cache.js';

export interface DkgParticipant {
  identifier: string;
  /** The node's X25519 age recipient (`age1…`): round-2 packages for it are encrypted to this. */
  recipient: string;
  /** The node's Ed25519 public key, hex: its DKG messages are signed with it. */
  signingKey: string;
}

/** Broadcast to every participant (including back to the sender: round 2 takes all of them). */
export interface DkgRound1Message {
  sessionId: string;
  from: string;
  /** VSS commitments, hex, minSigners of them. */
  commitment: string[];
  proofOfKnowledge: string;
  /** Sender's Ed25519 signature, hex (see dkg-messages.ts). */
  signature: string;
}

/** Sent to one participant; `ciphertext` is an armored age file only `to` can open. */
export interface DkgRound2Message {
  sessionId: string;
  from: string;
  to: string;
  ciphertext: string;
}

export interface DkgResult {
  public: PublicKeyPackage;
  secret: SecretKeyPackage;
  /** Hex SHA-256 transcript hash: equal at every participant of a successful session. */
  transcriptHash: string;
}

export type DkgStage = 'awaiting-round2' | 'awaiting-round3' | 'running' | 'finished' | 'aborted';

interface Internals {
  stage: DkgStage;
  scheme: SchemeSuite;
  minSigners: number;
  participants: DkgParticipant[];
  /**
   * The node's own signing key, not a copy: the node keeps it for its life anyway, and its
   * key object (cached per Secret by signRaw) is then built once, not once per session.
   * Dropped, not destroyed, when the session ends.
   */
  signingKey?: Secret<Uint8Array>;
  math: DkgMath;
  own: { commitment: Uint8Array[]; proofOfKnowledge: Uint8Array };
  others?: Map<string, DKG_Round1>;
  transcriptHash?: Uint8Array;
}

const internals = new WeakMap<SecretDkgState, Internals>();

/** A participant's DKG math after round 1; each method throws on a failed check (the callers name the culprit). */
interface DkgMath {
  /** The share for each other participant, by identifier. */
  round2(others: DKG_Round1[]): Record<string, Uint8Array>;
  round3(others: DKG_Round1[], received: DKG_Round2[]): PedersenKey;
  clean(): void;
}

/**
 * Round 1 of the suite's DKG math: frost-ed25519 on its group (libsodium; dkg-pedersen.ts),
 * the secp256k1 suites on noble's DKG (the Taproot suite's adjustments are noble's). Both
 * draw from `rng` alike, so a seeded rng gives the same packages on either.
 */
function startDkg(scheme: SchemeSuite, self: string, signers: { min: number; max: number }, rng: Rng) {
  if (onSodium(scheme)) {
    const g = scheme.group;
    const r1 = pedersenRound1(g, parseIdentifier(g, self)!, signers, rng);
    const math: DkgMath = {
      round2: (others) => pedersenRound2(g, r1.secret, others, (hex) => parseIdentifier(g, hex)!),
      round3: (_others, received) => pedersenRound3(g, r1.secret, new Map(received.map((r) => [r.identifier, r.signingShare]))),
      clean: () => pedersenClean(r1.secret),
    };
    return { math, commitment: r1.public.commitment, proofOfKnowledge: r1.public.proofOfKnowledge };
  }
  const { DKG } = scheme.frost;
  const r1 = DKG.round1(self, signers, undefined, rng);
  const math: DkgMath = {
    round2: (others) => Object.fromEntries(Object.entries(DKG.round2(r1.secret, others)).map(([id, p]) => [id, p.signingShare])),
    round3: (others, received) => DKG.round3(r1.secret, others, received),
    clean: () => DKG.clean(r1.secret),
  };
  return { math, commitment: r1.public.commitment.map((c) => Uint8Array.from(c)), proofOfKnowledge: Uint8Array.from(r1.public.proofOfKnowledge) };
}

/**
 * A participant's secret DKG state between rounds (frost-rs `round1::SecretPackage`
 * / `round2::SecretPackage`). MUST NOT be sent or stored: it holds the secret
 * polynomial and the node's signing key. Prints as `<redacted>`, refuses JSON.
 */
export class SecretDkgState {
  readonly sessionId: string;
  readonly scheme: SchemeName;
  readonly self: string;

  /** @internal */
  constructor(sessionId: string, scheme: SchemeName, self: string, inner: Internals) {
    this.sessionId = sessionId;
    this.scheme = scheme;
    this.self = self;
    internals.set(this, inner);
  }

  get stage(): DkgStage {
    return internals.get(this)?.stage ?? 'aborted';
  }

  /** Aborts the session and erases its secrets. */
  destroy(): void {
    const inner = internals.get(this);
    if (inner) abort(inner);
  }

  toString(): string {
    return '<redacted>';
  }

  toJSON(): never {
    throw new TypeError('a SecretDkgState cannot be serialized to JSON');
  }

  [inspect.custom](): string {
    return `SecretDkgState(${this.sessionId}, ${this.scheme}, ${this.self}, ${this.stage}, <redacted>)`;
  }
}

function abort(inner: Internals): void {
  if (inner.stage !== 'finished') inner.stage = 'aborted';
  erase(inner);
}

/** Best-effort erasure of the round secrets (noble's DKG.clean; bigint copies may survive in the heap). */
function erase(inner: Internals): void {
  try {
    inner.math.clean();
  } catch {
    // already cleaned
  }
  delete inner.signingKey;
  inner.own.commitment = [];
  delete inner.others;
}

/**
 * Takes the state for one round: it must be at `expected`; it stays unusable until the round succeeds.
 * Runs before the round's first await, so two concurrent calls cannot both take it.
 */
function take(state: SecretDkgState, expected: DkgStage, round: string): Internals {
  const inner = state instanceof SecretDkgState ? internals.get(state) : undefined;
  if (!inner) throw invalidArgument('state', 'must be a SecretDkgState returned by dkgRound1');
  if (inner.stage !== expected) {
    const why =
      inner.stage === 'finished'
        ? 'the DKG session already finished'
        : inner.stage === 'aborted'
          ? 'the DKG session was aborted by an earlier failure; start a new session'
          : inner.stage === 'running'
            ? 'a round is already running on this state'
            : `it is waiting for ${inner.stage === 'awaiting-round2' ? 'round 2' : 'round 3'}`;
    throw invalidArgument('state', `cannot run ${round}: ${why}`);
  }
  inner.stage = 'running';
  return inner;
}

async function guarded<T>(inner: Internals, next: DkgStage, fn: () => T | Promise<T>): Promise<T> {
  try {
    const out = await fn();
    inner.stage = next;
    return out;
  } catch (err) {
    abort(inner);
    throw err;
  }
}

const SESSION_ID_RE = /^[\x21-\x7e]{1,256}$/;
function checkParticipants(scheme: SchemeSuite, participants: unknown): DkgParticipant[] {
  if (!Array.isArray(participants) || participants.length < 2 || participants.length > MAX_SIGNERS)
    throw invalidArgument('participants', `must be an array of 2 to ${MAX_SIGNERS} participants`);
  const out: DkgParticipant[] = [];
  const seen = { id: new Set<string>(), recipient: new Set<string>(), key: new Set<string>() };
  for (const [i, p] of (participants as unknown[]).entries()) {
    if (typeof p !== 'object' || p === null) throw invalidArgument('participants', `[${i}] must be an object`);
    const { identifier, recipient, signingKey } = p as Record<string, unknown>;
    if (typeof identifier !== 'string' || parseIdentifier(scheme.group, identifier) === undefined)
      throw invalidArgument('participants', `[${i}].identifier is not a canonical ${scheme.name} identifier`);
    if (typeof recipient !== 'string' || !recipient.startsWith('age1') || recipient.length > 8192)
      throw invalidArgument('participants', `[${i}].recipient must be an age recipient (age1…)`);
    if (!hexBytes(signingKey, 32)) throw invalidArgument('participants', `[${i}].signingKey must be 64 lowercase hex digits`);
    if (seen.id.has(identifier)) throw invalidArgument('participants', `identifier ${identifier} appears twice`);
    if (seen.recipient.has(recipient)) throw invalidArgument('participants', `[${i}].recipient appears twice`);
    if (seen.key.has(signingKey as string)) throw invalidArgument('participants', `[${i}].signingKey appears twice`);
    seen.id.add(identifier);
    seen.recipient.add(recipient);
    seen.key.add(signingKey as string);
    out.push({ identifier, recipient, signingKey: signingKey as string });
  }
  return out.sort((a, b) => (a.identifier < b.identifier ? -1 : 1));
}

/**
 * Round 1: commit to a random polynomial and prove knowledge of its constant
 * term. Returns the one-use state and the message to broadcast to every
 * participant. `participants` (all of them, self included) and `minSigners` must be
 * the same at every participant; maxSigners is the number of participants.
 */
export function dkgRound1(opts: DkgRound1Options): { state: SecretDkgState; message: DkgRound1Message } {
  return dkgRound1FromRng(opts, defaultRng);
}

export interface DkgRound1Options {
  sessionId: string;
  scheme: SchemeName;
  minSigners: number;
  participants: DkgParticipant[];
  self: string;
  signingKey: Secret<Uint8Array>;
}

/** dkgRound1 drawing its secrets from `rng`: tests give a seeded one. Not exported from the package. */
export function dkgRound1FromRng(opts: DkgRound1Options, rng: Rng): { state: SecretDkgState; message: DkgRound1Message } {
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('opts', 'must be an object');
  const { sessionId, minSigners, self } = opts;
  if (typeof sessionId !== 'string' || !SESSION_ID_RE.test(sessionId))
    throw invalidArgument('sessionId', 'must be 1 to 256 printable ASCII characters without spaces');
  const scheme = getSchemeSuite(opts.scheme);
  const participants = checkParticipants(scheme, opts.participants);
  const maxSigners = participants.length;
  if (!Number.isSafeInteger(minSigners) || minSigners < 2 || minSigners > maxSigners)
    throw invalidArgument('minSigners', `must be an integer from 2 to the number of participants (${maxSigners})`);
  const me = participants.find((p) => p.identifier === self);
  if (!me) throw invalidArgument('self', 'must be the identifier of one of the participants');
  seedOf(opts.signingKey, 'signingKey');
  if (signingPublicKey(opts.signingKey) !== me.signingKey) throw invalidArgument('signingKey', "does not match this participant's signingKey");

  const signingKey = opts.signingKey;
  const { math, commitment, proofOfKnowledge } = startDkg(scheme, self, { min: minSigners, max: maxSigners }, rng);
  const signature = signRaw(signingKey, round1SigningBytes(sessionId, scheme.name, self, commitment, proofOfKnowledge));
  const state = new SecretDkgState(sessionId, scheme.name, self, {
    stage: 'awaiting-round2',
    scheme,
    minSigners,
    participants,
    signingKey,
    math,
    own: { commitment, proofOfKnowledge },
  });
  return {
    state,
    message: { sessionId, from: self, commitment: commitment.map(toHex), proofOfKnowledge: toHex(proofOfKnowledge), signature: toHex(signature) },
  };
}

/**
 * Round 2: takes every participant's round-1 message (its own included, any
 * order), checks each signature against the participant list, computes the
 * transcript hash, and returns one encrypted, signed round-2 message for each
 * other participant.
 */
export async function dkgRound2(state: SecretDkgState, round1: DkgRound1Message[]): Promise<DkgRound2Message[]> {
  const inner = take(state, 'awaiting-round2', 'round 2');
  return guarded(inner, 'awaiting-round3', async () => {
    const { scheme, participants, minSigners } = inner;
    const maxSigners = participants.length;
    if (!Array.isArray(round1) || round1.length !== maxSigners)
      throw invalidArgument('round1', `must hold exactly one message per participant (${maxSigners})`);
    const byId = new Map(participants.map((p) => [p.identifier, p]));
    const parsed = new Map<string, { commitment: Uint8Array[]; proofOfKnowledge: Uint8Array }>();
    const badSignature: string[] = [];
    for (const m of round1) {
      if (typeof m !== 'object' || m === null) throw invalidArgument('round1', 'messages must be objects');
      if (m.sessionId !== state.sessionId) throw invalidArgument('round1', 'a message belongs to another DKG session');
      const sender = typeof m.from === 'string' ? byId.get(m.from) : undefined;
      if (!sender) throw invalidArgument('round1', 'a message comes from someone who is not a participant');
      if (parsed.has(m.from)) throw invalidArgument('round1', `two messages from ${m.from}`);
      if (!Array.isArray(m.commitment) || m.commitment.length !== minSigners)
        throw invalidArgument('round1', `the message from ${m.from} must carry ${minSigners} commitments`);
      const commitment = m.commitment.map((c) => hexBytes(c, scheme.elementLength));
      const pok = hexBytes(m.proofOfKnowledge, scheme.signatureLength);
      const sig = hexBytes(m.signature, 64);
      if (commitment.some((c) => !c) || !pok || !sig) throw invalidArgument('round1', `the message from ${m.from} has a field of the wrong encoding or length`);
      const c = commitment as Uint8Array[];
      if (!verifyRaw(hexBytes(sender.signingKey, 32)!, round1SigningBytes(state.sessionId, scheme.name, m.from, c, pok), sig)) badSignature.push(m.from);
      parsed.set(m.from, { commitment: c, proofOfKnowledge: pok });
    }
    if (badSignature.length)
      throw new ShareInvalidError(
        'round1-signature',
        `DKG round 1: bad node signature on the broadcast of ${badSignature.join(', ')}; abort this session`,
        badSignature,
      );
    const own = parsed.get(state.self)!;
    if (!sameList(own.commitment, inner.own.commitment) || toHex(own.proofOfKnowledge) !== toHex(inner.own.proofOfKnowledge))
      throw new ShareInvalidError('round1-own', 'DKG round 1: the broadcast attributed to this participant is not the one it sent; abort this session', [
        state.self,
      ]);

    const hash = transcriptHash({
      sessionId: state.sessionId,
      scheme: scheme.name,
      minSigners,
      maxSigners,
      participants,
      round1: [...parsed].map(([from, v]) => ({ from, ...v })),
    });
    const others = new Map<string, DKG_Round1>();
    for (const [from, v] of parsed) {
      if (from === state.self) continue;
      others.set(from, { identifier: from, commitment: v.commitment, proofOfKnowledge: v.proofOfKnowledge } as DKG_Round1);
    }
    let shares: Record<string, Uint8Array>;
    try {
      // Checks every commitment element (RFC 9591 §3.1) and proof of knowledge.
      shares = inner.math.round2([...others.values()]);
    } catch {
      const bad = [...others].filter(([, r]) => r.commitment.some((c) => !parsePoint(scheme.group, c))).map(([from]) => from);
      if (bad.length) throw new ShareInvalidError('round1-commitment', `DKG round 1: invalid commitment from ${bad.join(', ')}; abort this session`, bad);
      // frost-ed25519's proofs are checked one by one to name the sender (the secp256k1 suites' challenge hash is noble's own).
      const badProof =
        scheme.name === 'frost-ed25519'
          ? [...others]
              .filter(([from, r]) => !proofHolds(scheme.group, parseIdentifier(scheme.group, from)!, r.commitment, r.proofOfKnowledge))
              .map(([from]) => from)
          : [];
      if (badProof.length)
        throw new ShareInvalidError(
          'round1-proof',
          `DKG round 1: the proof of knowledge from ${badProof.join(', ')} was rejected; abort this session`,
          badProof,
        );
      throw new ShareInvalidError('round1-proof', 'DKG round 1: a proof of knowledge was rejected; abort this session');
    }
    const out: DkgRound2Message[] = [];
    for (const p of participants) {
      if (p.identifier === state.self) continue;
      const share = shares[p.identifier];
      if (!share) throw new WrError('INTERNAL', 'DKG round 2 produced no package for a participant');
      const body = {
        sessionId: state.sessionId,
        scheme: scheme.name,
        from: state.self,
        to: p.identifier,
        signingShare: share,
        transcriptHash: hash,
      };
      const signature = signRaw(inner.signingKey!, round2SigningBytes(body));
      const payload = encodeRound2Payload(body, signature);
      try {
        out.push({ sessionId: state.sessionId, from: state.self, to: p.identifier, ciphertext: await wrap(payload, [p.recipient], 'participants.recipient') });
      } finally {
        payload.fill(0);
        share.fill(0);
      }
    }
    inner.others = others;
    inner.transcriptHash = hash;
    return out;
  });
}

/**
 * Round 3: decrypts the round-2 messages addressed to this participant with its
 * age identity, checks each sender's signature, refuses to finish unless every
 * sender's transcript hash equals its own, verifies every received share against
 * its sender's commitments, and returns the validated key packages. The state is
 * spent afterwards, whatever the outcome.
 */
export async function dkgRound3(state: SecretDkgState, round2: DkgRound2Message[], ageIdentity: Secret<string>): Promise<DkgResult> {
  const inner = take(state, 'awaiting-round3', 'round 3');
  return guarded(inner, 'finished', async () => {
    const { scheme, participants, minSigners } = inner;
    const others = inner.others!;
    const ownHash = inner.transcriptHash!;
    if (!Array.isArray(round2) || round2.length !== participants.length - 1)
      throw invalidArgument('round2', `must hold exactly one message from each other participant (${participants.length - 1})`);
    if (!(ageIdentity instanceof Secret) || ageIdentity.destroyed) throw invalidArgument('ageIdentity', 'must be a live Secret holding an age identity');
    const seen = new Set<string>();
    for (const m of round2) {
      if (typeof m !== 'object' || m === null) throw invalidArgument('round2', 'messages must be objects');
      if (m.sessionId !== state.sessionId) throw invalidArgument('round2', 'a message belongs to another DKG session');
      if (m.to !== state.self) throw invalidArgument('round2', 'a message is addressed to another participant');
      if (typeof m.from !== 'string' || !others.has(m.from)) throw invalidArgument('round2', 'a message comes from someone who is not another participant');
      if (seen.has(m.from)) throw invalidArgument('round2', `two messages from ${m.from}`);
      if (typeof m.ciphertext !== 'string') throw invalidArgument('round2', `the message from ${m.from} has no ciphertext`);
      seen.add(m.from);
    }
    const failures = new Map<string, string[]>();
    const fail = (check: string, who: string) => failures.set(check, [...(failures.get(check) ?? []), who]);
    const received: DKG_Round2[] = [];
    const selfId = parseIdentifier(scheme.group, state.self)!;
    try {
      for (const m of [...round2].sort((a, b) => (a.from < b.from ? -1 : 1))) {
        const sender = participants.find((p) => p.identifier === m.from)!;
        const plaintext = await unwrap(m.ciphertext, { identities: [ageIdentity] });
        try {
          const dec = decodeRound2Payload(plaintext);
          if (!dec) {
            fail('round2-format', m.from);
            continue;
          }
          const { body, signature } = dec;
          if (body.sessionId !== state.sessionId || body.scheme !== scheme.name || body.from !== m.from || body.to !== state.self) {
            fail('round2-addressing', m.from);
            continue;
          }
          if (!verifyRaw(hexBytes(sender.signingKey, 32)!, round2SigningBytes(body), signature)) {
            fail('round2-signature', m.from);
            continue;
          }
          if (toHex(body.transcriptHash) !== toHex(ownHash)) {
            fail('transcript', m.from);
            continue;
          }
          if (parseScalar(scheme.group, body.signingShare) === undefined) {
            fail('round2-share', m.from);
            continue;
          }
          received.push({ identifier: m.from, signingShare: Uint8Array.from(body.signingShare) } as DKG_Round2);
        } finally {
          plaintext.fill(0);
        }
      }
      const reasons: Record<string, string> = {
        transcript: 'saw different round-1 broadcasts than this participant (equivocation or a tampered relay)',
        'round2-signature': 'sent a round-2 package whose node signature is invalid',
        'round2-addressing': 'sent a round-2 package whose signed session, scheme or addressing is wrong',
        'round2-format': 'sent a round-2 package that is not in the expected format',
        'round2-share': 'sent a share inconsistent with its round-1 commitment',
      };
      for (const check of ['transcript', 'round2-signature', 'round2-addressing', 'round2-format', 'round2-share']) {
        const who = failures.get(check);
        if (who) throw new ShareInvalidError(check, `DKG refused to finish: ${who.join(', ')} ${reasons[check]}; abort this session`, who);
      }
      let key;
      try {
        // Runs RFC 9591 Appendix C.2 vss_verify on every received share.
        key = inner.math.round3([...others.values()], received);
      } catch {
        const bad = received.filter((r) => !shareMatchesCommitment(scheme.group, r, others.get(r.identifier)!, selfId)).map((r) => r.identifier);
        if (bad.length)
          throw new ShareInvalidError('round2-share', `DKG refused to finish: ${bad.join(', ')} ${reasons['round2-share']}; abort this session`, bad);
        throw new ShareInvalidError('round3', 'DKG refused to finish: the received packages do not combine into a key; abort this session');
      }
      const pub = publicKeyPackageFromFrost(scheme.name, key.public);
      const secret = secretKeyPackageFromFrost(key.secret);
      key.secret.signingShare.fill(0);
      if (pub.minSigners !== minSigners || pub.maxSigners !== participants.length || participants.some((p) => !(p.identifier in pub.verifyingShares))) {
        secret.signingShare.destroy();
        throw new ShareInvalidError('round3', 'DKG produced a key package that does not match the session parameters');
      }
      try {
        validateKeyPackageCached(pub, secret);
      } catch (err) {
        secret.signingShare.destroy();
        throw err;
      }
      erase(inner);
      return { public: pub, secret, transcriptHash: toHex(ownHash) };
    } finally {
      for (const r of received) r.signingShare.fill(0);
    }
  });
}

/** RFC 9591 Appendix C.2 vss_verify of a received share against its sender's round-1 commitment (attribution). */
function shareMatchesCommitment(group: Group, r: DKG_Round2, sender: DKG_Round1, selfId: bigint): boolean {
  const share = parseScalar(group, r.signingShare);
  const commitment = sender.commitment.map((c) => parsePoint(group, c));
  if (share === undefined || commitment.some((c) => !c)) return false;
  return baseMultiply(group, share).equals(evaluateCommitment(commitment as GroupElement[], selfId));
}

function sameList(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((x, i) => toHex(x) === toHex(b[i]!));
}
