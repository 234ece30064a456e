/**
 * Repairing a lost share with the repairable threshold scheme (RTS) of Laing and
 * Stinson, "A Survey and Refinement of Repairable Threshold Schemes"
 * (https://eprint.iacr.org/2017/1155), as ZF frost's `keys/repairable.rs`. A
 * quorum of helpers rebuilds the share s_r = f(r) of participant r; no helper
 * learns it, and nothing else changes (same package, same epoch).
 *
 *   repairStep1  helper i computes ζ_i · s_i, where ζ_i is the Lagrange coefficient
 *                of i among the helpers evaluated at r (so Σ_i ζ_i s_i = f(r)), and
 *                splits it into one random delta per helper that add up to it. It
 *                SENDS each other helper j its RepairDelta δ_ij (secret: signed and
 *                encrypted to j only) and KEEPS δ_ii in its SecretRepairState.
 *   repairStep2  helper j adds δ_jj and the deltas it received: σ_j = Σ_i δ_ij, and
 *                SENDS the RepairSigma σ_j to r (secret: signed and encrypted to r only).
 *   repairStep3  r adds the sigmas, s_r = Σ_j σ_j, and checks s_r × G against its
 *                verifying share in the key's public package before keeping it.
 *
 * Each δ_ij and σ_j is uniformly random on its own, so a helper learns nothing about
 * s_r or another helper's share. A wrong result cannot be pinned on one helper (the
 * sums hide who cheated): step 3 refuses it, and the repair is run again with
 * other helpers.
 */
import { Secret, invalidArgument } from '@wr/common';

import { ShareInvalidError } from '../errors.js';
import type { PublicKeyPackage, SecretKeyPackage } from './key-package.js';
import {
  SecretProtocolState,
  checkMessageFields,
  checkEpoch,
  checkIdentifiers,
  checkKeyShare,
  checkOnePerSender,
  checkOptions,
  checkPublic,
  checkSessionId,
  consumeState,
  finishResult,
  newStateInternals,
  readSecretScalar,
  scalarSecret,
  type LifecycleResult,
} from './lifecycle-common.js';
import { parseIdentifier } from './group.js';
import { defaultRng, lagrangeCoefficient, randomScalars, type Rng } from './polynomial.js';
import type { SchemeName, SchemeSuite } from './schemes.js';

/** Sent by helper `from` to helper `to` only. `delta` is SECRET: signed and encrypted to `to`, never in the clear. */
export interface RepairDelta {
  sessionId: string;
  scheme: SchemeName;
  epoch: number;
  from: string;
  to: string;
  delta: Secret<Uint8Array>;
}

/** Sent by helper `from` to the participant `to` being repaired only. `sigma` is SECRET: signed and encrypted to `to`. */
export interface RepairSigma {
  sessionId: string;
  scheme: SchemeName;
  epoch: number;
  from: string;
  to: string;
  sigma: Secret<Uint8Array>;
}

/** The session's parameters: the same at every helper and at the participant. */
export interface RepairSession {
  sessionId: string;
  /** The key's public package (the one the lost share belongs to). */
  pub: PublicKeyPackage;
  /** The share epoch (unchanged by a repair). */
  epoch: number;
  /** The helpers: at least pub.minSigners holders of the key, not the participant. */
  helpers: string[];
  /** The identifier whose share is rebuilt; it has a verifying share in `pub`. */
  participant: string;
}

interface CheckedSession {
  sessionId: string;
  scheme: SchemeSuite;
  pub: PublicKeyPackage;
  epoch: number;
  helpers: { id: string; point: bigint }[];
  participant: { id: string; point: bigint };
}

function checkSession(opts: RepairSession, pubAndScheme?: { pub: PublicKeyPackage; scheme: SchemeSuite }): CheckedSession {
  checkOptions(opts);
  const sessionId = checkSessionId(opts.sessionId);
  const epoch = checkEpoch(opts.epoch);
  const { pub, scheme } = pubAndScheme ?? checkPublic(opts.pub);
  const isHolder = (id: string) => Object.prototype.hasOwnProperty.call(pub.verifyingShares, id);
  const participant = opts.participant;
  if (typeof participant !== 'string' || parseIdentifier(scheme.group, participant) === undefined || !isHolder(participant))
    throw invalidArgument('participant', 'must be the identifier of a holder of this key');
  const helpers = checkIdentifiers(scheme, opts.helpers, 'helpers', {
    min: pub.minSigners,
    allowed: (id) => isHolder(id) && id !== participant,
    what: 'a holder of this key other than the participant',
  });
  return {
    sessionId,
    scheme,
    pub,
    epoch,
    helpers: helpers.ids.map((id, i) => ({ id, point: helpers.points[i]! })),
    participant: { id: participant, point: parseIdentifier(scheme.group, participant)! },
  };
}

interface RepairData {
  scheme: SchemeSuite;
  session: CheckedSession;
  ownDelta: bigint;
}

/** A helper's secret state between step 1 and step 2: the delta it kept for itself. MUST NOT be sent or stored. */
export class SecretRepairState extends SecretProtocolState {
  readonly protocol = 'repair' as const;
  readonly participant: string;

  /** @internal */
  constructor(sessionId: string, self: string, data: RepairData) {
    super(
      sessionId,
      data.scheme.name,
      self,
      newStateInternals(data, (d) => (d.ownDelta = 0n)),
    );
    this.participant = data.session.participant.id;
  }
}

/** Step 1 (each helper): splits ζ_i · s_i into deltas. Returns the state to keep and one delta for each other helper. */
export function repairStep1(opts: RepairSession & { secret: SecretKeyPackage }): { state: SecretRepairState; deltas: RepairDelta[] } {
  return repairStep1WithRng(opts, defaultRng);
}

/** repairStep1 with a given RNG (golden tests). NOT exported from the package. */
export function repairStep1WithRng(opts: RepairSession & { secret: SecretKeyPackage }, rng: Rng): { state: SecretRepairState; deltas: RepairDelta[] } {
  checkOptions(opts);
  const key = checkKeyShare(opts.pub, opts.secret);
  const s = checkSession(opts, key);
  const me = s.helpers.find((h) => h.id === key.identifier);
  if (!me) throw invalidArgument('helpers', "must include this helper's identifier");
  const { scheme } = s;
  const Fn = scheme.frost.utils.Fn;
  const zeta = lagrangeCoefficient(
    scheme,
    s.helpers.map((h) => h.point),
    me.point,
    s.participant.point,
  );
  // Random deltas for every helper but the last (in identifier order); the last one makes them add up to ζ_i · s_i.
  const random = randomScalars(scheme, s.helpers.length - 1, rng);
  const last = Fn.sub(
    Fn.mul(zeta, key.share),
    random.reduce((a, b) => Fn.add(a, b), Fn.ZERO),
  );
  const values = [...random, last];
  try {
    const deltas: RepairDelta[] = [];
    let ownDelta = Fn.ZERO;
    s.helpers.forEach((h, i) => {
      if (h.id === me.id) ownDelta = values[i]!;
      else deltas.push({ sessionId: s.sessionId, scheme: scheme.name, epoch: s.epoch, from: me.id, to: h.id, delta: scalarSecret(scheme, values[i]!) });
    });
    return { state: new SecretRepairState(s.sessionId, me.id, { scheme, session: s, ownDelta }), deltas };
  } finally {
    values.fill(0n);
  }
}

/**
 * Step 2 (each helper): adds its own delta and the one from each other helper
 * (SHARE_INVALID check `repair-delta`, with `culprits`, for a malformed one) and
 * returns the sigma to send to the participant. Consumes the state.
 */
export function repairStep2(state: SecretRepairState, deltas: RepairDelta[]): RepairSigma {
  return consumeState(state, SecretRepairState, 'repair step 2', (d: RepairData) => {
    const { scheme, session: s } = d;
    const others = s.helpers.map((h) => h.id).filter((id) => id !== state.self);
    const expect = { sessionId: s.sessionId, scheme: scheme.name, epoch: s.epoch, to: state.self };
    const received = checkOnePerSender<RepairDelta>(deltas, 'deltas', others, (m) => checkMessageFields(m, 'deltas', expect, new Set(others)));
    const Fn = scheme.frost.utils.Fn;
    let sigma = d.ownDelta;
    const bad: string[] = [];
    for (const from of others) {
      const delta = readSecretScalar(scheme, received.get(from)!.delta);
      if (delta === undefined) bad.push(from);
      else sigma = Fn.add(sigma, delta);
    }
    if (bad.length) throw new ShareInvalidError('repair-delta', `repair: ${bad.join(', ')} sent a delta that is not a scalar; abort this session`, bad);
    return { sessionId: s.sessionId, scheme: scheme.name, epoch: s.epoch, from: state.self, to: s.participant.id, sigma: scalarSecret(scheme, sigma) };
  });
}

/**
 * Step 3 (the participant): adds the sigmas from every helper and checks the sum
 * against its verifying share (SHARE_INVALID check `repair-sigma` with culprits
 * for a malformed sigma, `repair-share` without culprits for a wrong sum). Returns
 * the repaired share with the unchanged package and epoch.
 */
export function repairStep3(opts: RepairSession, sigmas: RepairSigma[]): LifecycleResult {
  const s = checkSession(opts);
  const { scheme } = s;
  const helperIds = s.helpers.map((h) => h.id);
  const expect = { sessionId: s.sessionId, scheme: scheme.name, epoch: s.epoch, to: s.participant.id };
  const received = checkOnePerSender<RepairSigma>(sigmas, 'sigmas', helperIds, (m) => checkMessageFields(m, 'sigmas', expect, new Set(helperIds)));
  const Fn = scheme.frost.utils.Fn;
  let share = Fn.ZERO;
  const bad: string[] = [];
  for (const from of helperIds) {
    const sigma = readSecretScalar(scheme, received.get(from)!.sigma);
    if (sigma === undefined) bad.push(from);
    else share = Fn.add(share, sigma);
  }
  if (bad.length) throw new ShareInvalidError('repair-sigma', `repair: ${bad.join(', ')} sent a sigma that is not a scalar; abort this session`, bad);
  try {
    return finishResult('repair', s.sessionId, scheme, s.pub, s.participant.id, share, s.epoch);
  } catch (err) {
    if ((err as { check?: string }).check === 'signing-share')
      throw new ShareInvalidError(
        'repair-share',
        'repair: the sigmas do not add up to the share of the participant (a helper sent a wrong value, or used another epoch); ' +
          'run the repair again with other helpers',
      );
    throw err;
  }
}
