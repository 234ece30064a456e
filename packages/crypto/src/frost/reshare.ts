/**
 * Resharing a key to a new set of holders and/or a new threshold, with the same
 * group key (Desmedt–Jajodia redistribution with Feldman commitments, as in
 * Wong–Wang–Wing's verifiable redistribution; ZF frost's `keys/resharing.rs` does
 * the same). A quorum of old holders ("dealers") re-deals its Lagrange-weighted
 * shares; the new holders sum what they receive.
 *
 *   reshareDeal    each dealer i computes λ_i · s_i (λ_i: RFC 9591 §4.2 Lagrange
 *                  coefficient of i among the dealers, at 0) and samples g_i of degree
 *                  t′ − 1 with g_i(0) = λ_i · s_i. It BROADCASTS a ReshareCommitment
 *                  (the t′ commitments of g_i) and SENDS each new holder j a
 *                  ReshareSubShare g_i(j) (secret: signed and encrypted to j only).
 *                  It keeps nothing.
 *   reshareFinish  each new holder j checks every dealer's commitments; that the
 *                  constant-term commitment is λ_i · Y_i (Y_i: i's verifying share in
 *                  the old package), so no dealer can deal another secret; and its
 *                  sub-share against them (RFC 9591 Appendix C.2 vss_verify). It sums
 *                  the sub-shares into its share s′_j = Σ_i g_i(j) and derives the new
 *                  package from the summed commitments: commitments[0] is the old group
 *                  element again, every new holder's verifying share is evaluated
 *                  from them. Every new holder derives the same package (compare the
 *                  result's `confirmation`).
 *
 * The old shares still work until the node layer retires them; new shares never
 * combine with old ones (they lie on another polynomial, at epoch + 1).
 */
import { Secret, invalidArgument, toHex } from '@wr/common';

import { ShareInvalidError } from '../errors.js';
import { baseMultiply, evaluateCommitment, parsePoint, type GroupElement } from './group.js';
import type { PublicKeyPackage, SecretKeyPackage } from './key-package.js';
import {
  checkMessageFields,
  checkEpoch,
  checkIdentifiers,
  checkKeyShare,
  checkOnePerSender,
  checkOptions,
  checkPublic,
  checkSessionId,
  finishResult,
  packageFromCommitments,
  parseCommitmentList,
  readSecretScalar,
  scalarSecret,
  type LifecycleResult,
} from './lifecycle-common.js';
import { dealPolynomial, defaultRng, evaluatePolynomial, lagrangeCoefficient, type Rng } from './polynomial.js';
import type { SchemeName, SchemeSuite } from './schemes.js';

/** Broadcast by each dealer to every new holder. */
export interface ReshareCommitment {
  sessionId: string;
  scheme: SchemeName;
  /** The epoch of the old shares; the new ones have epoch + 1. */
  epoch: number;
  from: string;
  /** The t′ commitments of the dealer's polynomial, hex; commitments[0] = λ_from · (from's old verifying share). */
  commitments: string[];
}

/** Sent by dealer `from` to new holder `to` only. `subShare` is SECRET: it travels signed and encrypted to `to`, never in the clear. */
export interface ReshareSubShare {
  sessionId: string;
  scheme: SchemeName;
  epoch: number;
  from: string;
  to: string;
  /** g_from(to), the suite's scalar encoding. */
  subShare: Secret<Uint8Array>;
}

/** The session's parameters: the same at every dealer and every new holder. */
export interface ReshareSession {
  sessionId: string;
  /** The key's current public package (old holders, old threshold). */
  pub: PublicKeyPackage;
  /** The current share epoch. */
  epoch: number;
  /** The old holders that deal: at least pub.minSigners of the key's identifiers. */
  dealers: string[];
  /** The new threshold t′ (2 ≤ t′ ≤ number of new holders). */
  minSigners: number;
  /** The new holders' identifiers (may include old ones, or be all new). */
  holders: string[];
}

interface CheckedSession {
  sessionId: string;
  scheme: SchemeSuite;
  pub: PublicKeyPackage;
  epoch: number;
  dealers: { id: string; point: bigint }[];
  minSigners: number;
  holders: { id: string; point: bigint }[];
}

function checkSession(opts: ReshareSession, pubAndScheme?: { pub: PublicKeyPackage; scheme: SchemeSuite }): CheckedSession {
  checkOptions(opts);
  const sessionId = checkSessionId(opts.sessionId);
  const epoch = checkEpoch(opts.epoch);
  const { pub, scheme } = pubAndScheme ?? checkPublic(opts.pub);
  const dealers = checkIdentifiers(scheme, opts.dealers, 'dealers', {
    min: pub.minSigners,
    allowed: (id) => Object.prototype.hasOwnProperty.call(pub.verifyingShares, id),
    what: 'a holder of this key',
  });
  const holders = checkIdentifiers(scheme, opts.holders, 'holders', { min: 2 });
  const t = opts.minSigners;
  if (!Number.isSafeInteger(t) || t < 2 || t > holders.ids.length)
    throw invalidArgument('minSigners', `must be an integer from 2 to the number of new holders (${holders.ids.length})`);
  const zip = (l: { ids: string[]; points: bigint[] }) => l.ids.map((id, i) => ({ id, point: l.points[i]! }));
  return { sessionId, scheme, pub, epoch, dealers: zip(dealers), minSigners: t, holders: zip(holders) };
}

/**
 * A dealer's step: deals λ_i · s_i to the new holders. Returns the commitment to
 * broadcast and one sub-share for each new holder (this dealer's own identifier
 * among them if it is also a new holder).
 */
export function reshareDeal(opts: ReshareSession & { secret: SecretKeyPackage }): { commitment: ReshareCommitment; subShares: ReshareSubShare[] } {
  return reshareDealWithRng(opts, defaultRng);
}

/** reshareDeal with a given RNG (golden tests). NOT exported from the package. */
export function reshareDealWithRng(
  opts: ReshareSession & { secret: SecretKeyPackage },
  rng: Rng,
): { commitment: ReshareCommitment; subShares: ReshareSubShare[] } {
  checkOptions(opts);
  const key = checkKeyShare(opts.pub, opts.secret);
  const s = checkSession(opts, key);
  const me = s.dealers.find((d) => d.id === key.identifier);
  if (!me) throw invalidArgument('dealers', "must include this dealer's identifier");
  const { scheme, sessionId, epoch } = s;
  const Fn = scheme.frost.utils.Fn;
  const lambda = lagrangeCoefficient(
    scheme,
    s.dealers.map((d) => d.point),
    me.point,
    0n,
  );
  const poly = dealPolynomial(scheme, s.minSigners, Fn.mul(lambda, key.share), rng);
  try {
    return {
      commitment: { sessionId, scheme: scheme.name, epoch, from: me.id, commitments: poly.commitments.map(toHex) },
      subShares: s.holders.map((h) => ({
        sessionId,
        scheme: scheme.name,
        epoch,
        from: me.id,
        to: h.id,
        subShare: scalarSecret(scheme, evaluatePolynomial(scheme, poly.coefficients, h.point)),
      })),
    };
  } finally {
    poly.coefficients.fill(0n);
  }
}

/**
 * A new holder's step: takes every dealer's ReshareCommitment and the
 * ReshareSubShare each dealer sent to `self`. Checks them all, blaming dealers
 * (SHARE_INVALID, checks `reshare-commitment`, `reshare-constant-term`,
 * `reshare-share`, with `culprits`), and returns the new key at epoch + 1. Does
 * not destroy the received sub-shares: the caller owns them.
 */
export function reshareFinish(opts: ReshareSession & { self: string }, commitments: ReshareCommitment[], subShares: ReshareSubShare[]): LifecycleResult {
  const s = checkSession(opts);
  const { scheme, sessionId, epoch, pub } = s;
  const me = s.holders.find((h) => h.id === opts.self);
  if (!me) throw invalidArgument('self', 'must be one of the new holders');
  const dealerIds = s.dealers.map((d) => d.id);
  const expect = { sessionId, scheme: scheme.name, epoch };
  const received = checkOnePerSender<ReshareCommitment>(commitments, 'commitments', dealerIds, (m) =>
    checkMessageFields(m, 'commitments', expect, new Set(dealerIds)),
  );
  const shares = checkOnePerSender<ReshareSubShare>(subShares, 'subShares', dealerIds, (m) =>
    checkMessageFields(m, 'subShares', { ...expect, to: me.id }, new Set(dealerIds)),
  );

  const dealt = new Map<string, GroupElement[]>();
  const malformed: string[] = [];
  for (const id of dealerIds) {
    const c = parseCommitmentList(scheme, received.get(id)!.commitments, s.minSigners);
    if (c) dealt.set(id, c);
    else malformed.push(id);
  }
  if (malformed.length)
    throw new ShareInvalidError(
      'reshare-commitment',
      `reshare: ${malformed.join(', ')} sent commitments that are not ${s.minSigners} valid group elements; abort this session`,
      malformed,
    );

  const points = s.dealers.map((d) => d.point);
  const wrongSecret = s.dealers
    .filter((d) => {
      const oldShare = parsePoint(scheme.group, Buffer.from(pub.verifyingShares[d.id]!, 'hex'))!;
      return !dealt.get(d.id)![0]!.equals(oldShare.multiply(lagrangeCoefficient(scheme, points, d.point, 0n)));
    })
    .map((d) => d.id);
  if (wrongSecret.length)
    throw new ShareInvalidError(
      'reshare-constant-term',
      `reshare: ${wrongSecret.join(', ')} dealt a polynomial whose constant term is not its Lagrange-weighted share; abort this session`,
      wrongSecret,
    );

  const Fn = scheme.frost.utils.Fn;
  let sum = Fn.ZERO;
  const badShares: string[] = [];
  for (const id of dealerIds) {
    const z = readSecretScalar(scheme, shares.get(id)!.subShare);
    if (z === undefined || !baseMultiply(scheme.group, z).equals(evaluateCommitment(dealt.get(id)!, me.point))) badShares.push(id);
    else sum = Fn.add(sum, z);
  }
  if (badShares.length)
    throw new ShareInvalidError(
      'reshare-share',
      `reshare: ${badShares.join(', ')} sent a sub-share inconsistent with its commitments; abort this session`,
      badShares,
    );

  const next = Array.from({ length: s.minSigners }, (_, k) => dealerIds.map((id) => dealt.get(id)![k]!).reduce((a, b) => a.add(b)));
  if (toHex(next[0]!.toBytes()) !== pub.commitments[0])
    throw new ShareInvalidError('reshare-group-key', 'reshare: the dealt constant terms do not add up to the group key; abort this session');
  const newPub = packageFromCommitments(scheme, pub.groupPublicKey, next, s.holders);
  return finishResult('reshare', sessionId, scheme, newPub, me.id, sum, epoch + 1);
}
