/**
 * What the share-lifecycle protocols (refresh.ts, reshare.ts, repair.ts) share:
 * their one-use secret state, their result, the checks on their inputs at the
 * boundary, and the confirmation digest that participants compare before they
 * store a result.
 */
import { inspect } from 'node:util';

import { sha256 } from '@noble/hashes/sha2.js';

import { Secret, hexBytes, invalidArgument, toHex, utf8 } from '@wr/common';

import { encodeFrame } from '../internal/wire.js';
import { evaluateCommitment, parseIdentifier, parsePoint, parseScalar, type GroupElement } from './group.js';
import { MAX_SIGNERS, copyPublicKeyPackage, type PublicKeyPackage, type SecretKeyPackage } from './key-package.js';
import { encodePublicKeyPackage } from './public-key-package-codec.js';
import { getSchemeSuite, isSchemeName, type SchemeName, type SchemeSuite } from './schemes.js';
import { validateKeyPackageCached, validatePublicKeyPackageCached } from './validation-cache.js';

export type LifecycleProtocol = 'refresh' | 'reshare' | 'repair';

/** What a refresh, reshare or repair leaves a participant with. */
export interface LifecycleResult {
  /** The key's public package after the protocol: same group key; equal at every participant. */
  public: PublicKeyPackage;
  /** This participant's new share; validated against `public`. */
  secret: SecretKeyPackage;
  /** The share epoch of `secret`: the input epoch + 1 for refresh and reshare, unchanged for repair. */
  epoch: number;
  /**
   * Hex SHA-256 of frame("wr/frost-lifecycle/confirmation/v1", protocol, sessionId, scheme,
   * decimal epoch, encodePublicKeyPackage(public)): every participant of a successful session gets
   * the same value. Compare it across participants before storing the result or retiring old shares.
   */
  confirmation: string;
}

export type ProtocolStage = 'ready' | 'running' | 'finished' | 'aborted';

interface StateInternals<T> {
  stage: ProtocolStage;
  data: T;
  erase: (data: T) => void;
}

const stateInternals = new WeakMap<SecretProtocolState, StateInternals<unknown>>();

/**
 * One participant's secret state between two steps of a lifecycle protocol
 * (frost-rs `round1::SecretPackage`). MUST NOT be sent or stored. One use: the
 * next step consumes it, a failure aborts it, and either way its secrets are
 * erased. Prints as `<redacted>`, refuses JSON.
 */
export abstract class SecretProtocolState {
  abstract readonly protocol: LifecycleProtocol;
  readonly sessionId: string;
  readonly scheme: SchemeName;
  readonly self: string;

  /** @internal */
  protected constructor(sessionId: string, scheme: SchemeName, self: string, inner: StateInternals<unknown>) {
    this.sessionId = sessionId;
    this.scheme = scheme;
    this.self = self;
    stateInternals.set(this, inner);
  }

  get stage(): ProtocolStage {
    return stateInternals.get(this)?.stage ?? 'aborted';
  }

  /** Aborts the session and erases its secrets. */
  destroy(): void {
    const inner = stateInternals.get(this);
    if (inner) endState(inner, 'aborted');
  }

  toString(): string {
    return '<redacted>';
  }

  toJSON(): never {
    throw new TypeError(`a ${this.constructor.name} cannot be serialized to JSON`);
  }

  [inspect.custom](): string {
    return `${this.constructor.name}(${this.sessionId}, ${this.scheme}, ${this.self}, ${this.stage}, <redacted>)`;
  }
}

export function newStateInternals<T>(data: T, erase: (data: T) => void): StateInternals<unknown> {
  return { stage: 'ready', data, erase: erase as (data: unknown) => void };
}

function endState(inner: StateInternals<unknown>, stage: 'finished' | 'aborted'): void {
  if (inner.stage !== 'finished') inner.stage = stage;
  try {
    inner.erase(inner.data);
  } catch {
    // already erased
  }
}

/**
 * Runs the step that consumes `state`: it must be a `Class` in stage `ready`. The
 * state is marked running before `fn` runs (no second use, even concurrently),
 * and finished (success) or aborted (failure) after it; its secrets are erased either way.
 */
export function consumeState<S extends SecretProtocolState, T, R>(state: S, Class: abstract new (...args: never[]) => S, step: string, fn: (data: T) => R): R {
  const inner = state instanceof Class ? stateInternals.get(state) : undefined;
  if (!inner) throw invalidArgument('state', `must be a ${Class.name} returned by the previous step`);
  if (inner.stage !== 'ready') {
    const why =
      inner.stage === 'finished' ? 'it was already used' : inner.stage === 'aborted' ? 'the session was aborted; start a new one' : 'a step is running on it';
    throw invalidArgument('state', `cannot run ${step}: ${why}`);
  }
  inner.stage = 'running';
  try {
    const out = fn(inner.data as T);
    endState(inner, 'finished');
    return out;
  } catch (err) {
    endState(inner, 'aborted');
    throw err;
  }
}

const SESSION_ID_RE = /^[\x21-\x7e]{1,256}$/;

export function checkSessionId(sessionId: unknown): string {
  if (typeof sessionId !== 'string' || !SESSION_ID_RE.test(sessionId))
    throw invalidArgument('sessionId', 'must be 1 to 256 printable ASCII characters without spaces');
  return sessionId;
}

export function checkEpoch(epoch: unknown): number {
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0 || epoch >= Number.MAX_SAFE_INTEGER)
    throw invalidArgument('epoch', 'must be a non-negative safe integer (the current share epoch)');
  return epoch;
}

export function checkOptions(opts: unknown): void {
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('opts', 'must be an object');
}

/** A public package of a known scheme, deep-copied and validated (SHARE_INVALID naming the check if it fails one). */
export function checkPublic(pub: unknown, param = 'pub'): { pub: PublicKeyPackage; scheme: SchemeSuite } {
  if (typeof pub !== 'object' || pub === null || !isSchemeName((pub as PublicKeyPackage).scheme))
    throw invalidArgument(param, 'must be a public key package of a known scheme');
  const copy = copyPublicKeyPackage(pub as PublicKeyPackage);
  validatePublicKeyPackageCached(copy);
  return { pub: copy, scheme: getSchemeSuite(copy.scheme) };
}

/** A public package and this participant's share of it, checked together; returns the share as a scalar. */
export function checkKeyShare(pub: unknown, secret: unknown): { pub: PublicKeyPackage; scheme: SchemeSuite; identifier: string; share: bigint } {
  const checked = checkPublic(pub);
  if (typeof secret !== 'object' || secret === null) throw invalidArgument('secret', 'must be a SecretKeyPackage');
  const s = secret as SecretKeyPackage;
  if (!(s.signingShare instanceof Secret) || s.signingShare.destroyed) throw invalidArgument('secret', 'signingShare must be a live Secret');
  validateKeyPackageCached(checked.pub, s);
  return { ...checked, identifier: s.identifier, share: parseScalar(checked.scheme.group, s.signingShare.expose())! };
}

/**
 * A list of distinct canonical identifiers of `scheme`, sorted; each one must
 * pass `allowed` (when given). Length between `min` and `max`.
 */
export function checkIdentifiers(
  scheme: SchemeSuite,
  value: unknown,
  param: string,
  opts: { min: number; max?: number; allowed?: (id: string) => boolean; what?: string },
): { ids: string[]; points: bigint[] } {
  const max = opts.max ?? MAX_SIGNERS;
  if (!Array.isArray(value) || value.length < opts.min || value.length > max)
    throw invalidArgument(param, `must be an array of ${opts.min} to ${max} identifiers`);
  const seen = new Set<string>();
  for (const [i, id] of (value as unknown[]).entries()) {
    if (typeof id !== 'string' || parseIdentifier(scheme.group, id) === undefined)
      throw invalidArgument(param, `[${i}] is not a canonical ${scheme.name} identifier`);
    if (seen.has(id)) throw invalidArgument(param, `identifier ${id} appears twice`);
    if (opts.allowed && !opts.allowed(id)) throw invalidArgument(param, `identifier ${id} is not ${opts.what ?? 'allowed here'}`);
    seen.add(id);
  }
  const ids = [...seen].sort();
  return { ids, points: ids.map((id) => parseIdentifier(scheme.group, id)!) };
}

/** The fields every lifecycle message carries, checked against the session. Returns the sender. */
export function checkMessageFields(
  m: unknown,
  param: string,
  expect: { sessionId: string; scheme: SchemeName; epoch: number; to?: string },
  senders: ReadonlySet<string>,
): string {
  if (typeof m !== 'object' || m === null) throw invalidArgument(param, 'messages must be objects');
  const r = m as Record<string, unknown>;
  if (r['sessionId'] !== expect.sessionId) throw invalidArgument(param, 'a message belongs to another session');
  if (r['scheme'] !== expect.scheme) throw invalidArgument(param, `a message is for another scheme than ${expect.scheme}`);
  if (r['epoch'] !== expect.epoch)
    throw invalidArgument(param, `a message is for epoch ${String(r['epoch'])}, not ${expect.epoch}: shares of different epochs never combine`);
  if (typeof r['from'] !== 'string' || !senders.has(r['from']))
    throw invalidArgument(param, 'a message comes from someone who is not a sender in this session');
  if (expect.to !== undefined && r['to'] !== expect.to) throw invalidArgument(param, 'a message is addressed to another participant');
  return r['from'];
}

/** One message from each of `senders`, none twice, none from elsewhere. */
export function checkOnePerSender<M extends { from: string }>(
  messages: unknown,
  param: string,
  senders: readonly string[],
  check: (m: unknown) => string,
): Map<string, M> {
  if (!Array.isArray(messages) || messages.length !== senders.length)
    throw invalidArgument(param, `must hold exactly one message from each of ${senders.length} sender(s)`);
  const out = new Map<string, M>();
  for (const m of messages) {
    const from = check(m);
    if (out.has(from)) throw invalidArgument(param, `two messages from ${from}`);
    out.set(from, m as M);
  }
  return out;
}

/** A secret scalar sent in a message: a live Secret holding a canonical scalar, or undefined. */
export function readSecretScalar(scheme: SchemeSuite, value: unknown): bigint | undefined {
  if (!(value instanceof Secret) || value.destroyed) return undefined;
  const bytes = value.expose();
  return bytes instanceof Uint8Array ? parseScalar(scheme.group, bytes) : undefined;
}

export function scalarSecret(scheme: SchemeSuite, n: bigint): Secret<Uint8Array> {
  return new Secret(scheme.frost.utils.Fn.toBytes(n));
}

/** Commitment points of a message: `count` hex strings, each a valid non-identity element in the suite's encoding; or undefined. */
export function parseCommitmentList(scheme: SchemeSuite, value: unknown, count: number): GroupElement[] | undefined {
  if (!Array.isArray(value) || value.length !== count) return undefined;
  const out: GroupElement[] = [];
  for (const c of value as unknown[]) {
    const bytes = hexBytes(c, scheme.elementLength);
    const p = bytes && parsePoint(scheme.group, bytes);
    if (!p) return undefined;
    out.push(p);
  }
  return out;
}

/**
 * The public package of a polynomial known by its commitments: verifying share of
 * each identifier = the commitment polynomial at it (RFC 9591 Appendix C.2).
 */
export function packageFromCommitments(
  scheme: SchemeSuite,
  groupPublicKey: string,
  commitments: readonly GroupElement[],
  holders: readonly { id: string; point: bigint }[],
): PublicKeyPackage {
  return {
    scheme: scheme.name,
    minSigners: commitments.length,
    maxSigners: holders.length,
    groupPublicKey,
    commitments: commitments.map((c) => toHex(c.toBytes())),
    verifyingShares: Object.fromEntries(holders.map((h) => [h.id, toHex(evaluateCommitment(commitments, h.point).toBytes())])),
  };
}

/** The result of a step: validates the new share against the new package and computes the confirmation. */
export function finishResult(
  protocol: LifecycleProtocol,
  sessionId: string,
  scheme: SchemeSuite,
  pub: PublicKeyPackage,
  identifier: string,
  share: bigint,
  epoch: number,
): LifecycleResult {
  const secret: SecretKeyPackage = { identifier, signingShare: scalarSecret(scheme, share) };
  try {
    validateKeyPackageCached(pub, secret);
  } catch (err) {
    secret.signingShare.destroy();
    throw err;
  }
  const digest = sha256(
    encodeFrame(CONFIRMATION_DOMAIN, [utf8(protocol), utf8(sessionId), utf8(scheme.name), utf8(String(epoch)), utf8(encodePublicKeyPackage(pub))]),
  );
  return { public: pub, secret, epoch, confirmation: toHex(digest) };
}

const CONFIRMATION_DOMAIN = 'wr/frost-lifecycle/confirmation/v1';
