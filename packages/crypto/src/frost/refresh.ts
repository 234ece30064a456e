/**
 * Proactive share refresh, run by the current holders of a key as a distributed
 * protocol (the DKG variant of ZF frost's `keys/refresh.rs`; Herzberg et al.,
 * "Proactive Secret Sharing", CRYPTO '95). Every holder deals a random sharing of
 * ZERO and adds the sub-shares it receives to its share: the shared secret, the
 * group key and the threshold stay the same; every share, verifying share and
 * commitment past the first changes, and the epoch goes up by one. Shares of
 * different epochs lie on different polynomials, so they do not combine.
 *
 *   refreshRound1  each holder i samples f_i with f_i(0) = 0 and t − 1 random
 *                  coefficients (t = minSigners). It BROADCASTS a RefreshCommitment:
 *                  the commitments a_ij × G for j = 1…t−1 (the constant term's
 *                  commitment is the identity, so it is implicit and never sent,
 *                  as in refresh_dkg_part_1: no dealer can shift the secret). It
 *                  SENDS each other holder ℓ a RefreshSubShare f_i(ℓ) (secret:
 *                  signed and encrypted to ℓ only), and KEEPS f_i(i) in its
 *                  SecretRefreshState.
 *   refreshRound2  each holder checks every commitment list and every sub-share
 *                  against its sender's commitments (RFC 9591 Appendix C.2
 *                  vss_verify with an identity constant term), blaming the senders
 *                  that fail; adds the sub-shares to its share; and derives the new
 *                  public package: commitments[0] unchanged, commitments[j] plus
 *                  every dealer's j-th commitment, verifying shares evaluated from
 *                  them. Every holder derives the same package (compare the
 *                  result's `confirmation`).
 *
 * Holders left out of `participants` are removed: the new package has no
 * verifying share for them and maxSigners becomes the number of participants.
 */
import { Secret, invalidArgument, toHex } from '@wr/common';

import { ShareInvalidError } from '../errors.js';
import { baseMultiply, evaluateCommitment, parsePoint, type GroupElement } from './group.js';
import type { PublicKeyPackage, SecretKeyPackage } from './key-package.js';
import {
  SecretProtocolState,
  checkMessageFields,
  checkEpoch,
  checkIdentifiers,
  checkKeyShare,
  checkOnePerSender,
  checkOptions,
  checkSessionId,
  consumeState,
  finishResult,
  newStateInternals,
  packageFromCommitments,
  parseCommitmentList,
  readSecretScalar,
  scalarSecret,
  type LifecycleResult,
} from './lifecycle-common.js';
import { dealZeroPolynomial, defaultRng, evaluatePolynomial, type Rng } from './polynomial.js';
import type { SchemeName, SchemeSuite } from './schemes.js';

/** Broadcast by each participant to every participant (itself included: round 2 takes all of them). */
export interface RefreshCommitment {
  sessionId: string;
  scheme: SchemeName;
  /** The epoch being refreshed (the participants' current epoch); the result has epoch + 1. */
  epoch: number;
  from: string;
  /** Commitments to coefficients 1…minSigners−1 of the sender's sharing of zero, hex; minSigners − 1 of them. */
  commitments: string[];
}

/** Sent by `from` to `to` only. `subShare` is SECRET: it travels signed and encrypted to `to`, never in the clear. */
export interface RefreshSubShare {
  sessionId: string;
  scheme: SchemeName;
  epoch: number;
  from: string;
  to: string;
  /** f_from(to), the suite's scalar encoding. */
  subShare: Secret<Uint8Array>;
}

interface RefreshData {
  scheme: SchemeSuite;
  pub: PublicKeyPackage;
  epoch: number;
  participants: { id: string; point: bigint }[];
  self: bigint;
  share: bigint;
  ownCommitments: string[];
  ownSubShare: bigint;
}

/** A holder's secret refresh state between round 1 and round 2: its share and its own sub-share. MUST NOT be sent or stored. */
export class SecretRefreshState extends SecretProtocolState {
  readonly protocol = 'refresh' as const;
  readonly epoch: number;

  /** @internal */
  constructor(sessionId: string, self: string, data: RefreshData) {
    super(sessionId, data.scheme.name, self, newStateInternals(data, erase));
    this.epoch = data.epoch;
  }
}

function erase(d: RefreshData): void {
  d.share = 0n;
  d.ownSubShare = 0n;
}

export interface RefreshOptions {
  sessionId: string;
  /** The key's current public package and this holder's share of it. */
  pub: PublicKeyPackage;
  secret: SecretKeyPackage;
  /** The current share epoch of `secret` (the same at every participant). */
  epoch: number;
  /** The holders taking part, this one included: at least minSigners of the key's identifiers. The same list at every participant. */
  participants: string[];
}

/**
 * Round 1: deals this holder's sharing of zero. Returns the state to keep, the
 * commitment to broadcast and one sub-share for each other participant.
 */
export function refreshRound1(opts: RefreshOptions): { state: SecretRefreshState; commitment: RefreshCommitment; subShares: RefreshSubShare[] } {
  return refreshRound1WithRng(opts, defaultRng);
}

/** refreshRound1 with a given RNG (golden tests). NOT exported from the package. */
export function refreshRound1WithRng(
  opts: RefreshOptions,
  rng: Rng,
): { state: SecretRefreshState; commitment: RefreshCommitment; subShares: RefreshSubShare[] } {
  checkOptions(opts);
  const sessionId = checkSessionId(opts.sessionId);
  const epoch = checkEpoch(opts.epoch);
  const { pub, scheme, identifier, share } = checkKeyShare(opts.pub, opts.secret);
  const { ids, points } = checkIdentifiers(scheme, opts.participants, 'participants', {
    min: pub.minSigners,
    allowed: (id) => Object.prototype.hasOwnProperty.call(pub.verifyingShares, id),
    what: 'a holder of this key',
  });
  if (!ids.includes(identifier)) throw invalidArgument('participants', "must include this holder's identifier");
  const participants = ids.map((id, i) => ({ id, point: points[i]! }));
  const self = participants.find((p) => p.id === identifier)!.point;

  const poly = dealZeroPolynomial(scheme, pub.minSigners, rng);
  try {
    const commitments = poly.commitments.map(toHex);
    const subShares: RefreshSubShare[] = participants
      .filter((p) => p.id !== identifier)
      .map((p) => ({
        sessionId,
        scheme: scheme.name,
        epoch,
        from: identifier,
        to: p.id,
        subShare: scalarSecret(scheme, evaluatePolynomial(scheme, poly.coefficients, p.point)),
      }));
    const data: RefreshData = {
      scheme,
      pub,
      epoch,
      participants,
      self,
      share,
      ownCommitments: commitments,
      ownSubShare: evaluatePolynomial(scheme, poly.coefficients, self),
    };
    const state = new SecretRefreshState(sessionId, identifier, data);
    return { state, commitment: { sessionId, scheme: scheme.name, epoch, from: identifier, commitments: [...commitments] }, subShares };
  } finally {
    poly.coefficients.fill(0n);
  }
}

/**
 * Round 2: takes every participant's RefreshCommitment (its own included, any
 * order) and the RefreshSubShare each other participant sent to this one. Checks
 * them all, blaming senders (SHARE_INVALID, checks `refresh-commitment`,
 * `refresh-own`, `refresh-share`, with `culprits`), and returns the refreshed key
 * at epoch + 1. Consumes the state whatever the outcome. Does not destroy the
 * received sub-shares: the caller owns them.
 */
export function refreshRound2(state: SecretRefreshState, commitments: RefreshCommitment[], subShares: RefreshSubShare[]): LifecycleResult {
  return consumeState(state, SecretRefreshState, 'refresh round 2', (d: RefreshData) => {
    const { scheme, pub, epoch } = d;
    const sessionId = state.sessionId;
    const ids = d.participants.map((p) => p.id);
    const others = ids.filter((id) => id !== state.self);
    const expect = { sessionId, scheme: scheme.name, epoch };
    const received = checkOnePerSender<RefreshCommitment>(commitments, 'commitments', ids, (m) => checkMessageFields(m, 'commitments', expect, new Set(ids)));
    const shares = checkOnePerSender<RefreshSubShare>(subShares, 'subShares', others, (m) =>
      checkMessageFields(m, 'subShares', { ...expect, to: state.self }, new Set(others)),
    );

    const t = pub.minSigners;
    const dealt = new Map<string, GroupElement[]>();
    const badCommitments: string[] = [];
    for (const id of ids) {
      const c = parseCommitmentList(scheme, received.get(id)!.commitments, t - 1);
      if (c) dealt.set(id, c);
      else badCommitments.push(id);
    }
    if (badCommitments.length)
      throw new ShareInvalidError(
        'refresh-commitment',
        `refresh: ${badCommitments.join(', ')} sent commitments that are not ${t - 1} valid group elements; abort this session`,
        badCommitments,
      );
    if (received.get(state.self)!.commitments.join() !== d.ownCommitments.join())
      throw new ShareInvalidError('refresh-own', 'refresh: the commitment attributed to this participant is not the one it sent; abort this session', [
        state.self,
      ]);

    // vss_verify with the identity as constant term: z · G = Σ_{j≥1} C_j · x^j = x · (Σ_{j≥1} C_j · x^{j−1}).
    const x = d.self;
    let sum = scheme.frost.utils.Fn.add(d.share, d.ownSubShare);
    const badShares: string[] = [];
    for (const from of others) {
      const z = readSecretScalar(scheme, shares.get(from)!.subShare);
      if (z === undefined || !baseMultiply(scheme.group, z).equals(evaluateCommitment(dealt.get(from)!, x).multiplyUnsafe(x))) {
        badShares.push(from);
        continue;
      }
      sum = scheme.frost.utils.Fn.add(sum, z);
    }
    if (badShares.length)
      throw new ShareInvalidError(
        'refresh-share',
        `refresh: ${badShares.join(', ')} sent a sub-share inconsistent with its commitments; abort this session`,
        badShares,
      );

    const old = pub.commitments.map((c) => parsePoint(scheme.group, Buffer.from(c, 'hex'))!);
    const next = old.map((c, j) => (j === 0 ? c : ids.reduce((acc, id) => acc.add(dealt.get(id)![j - 1]!), c)));
    const newPub = packageFromCommitments(scheme, pub.groupPublicKey, next, d.participants);
    return finishResult('refresh', sessionId, scheme, newPub, state.self, sum, epoch + 1);
  });
}
