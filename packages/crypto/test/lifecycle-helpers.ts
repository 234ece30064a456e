/** Shared helpers for the share-lifecycle tests: an in-memory refresh, signing, a seeded RNG, golden digests. */
import { sha256 } from '@noble/hashes/sha2.js';

import { Secret, canonicalJson, toHex, type JsonValue } from '@wr/common';

import {
  aggregateSignature,
  refreshRound2,
  signRound1,
  signRound2,
  type LifecycleResult,
  type PublicKeyPackage,
  type RefreshCommitment,
  type RefreshSubShare,
  type SchemeName,
  type SecretKeyPackage,
} from '../src/index.js';
import { refreshRound1WithRng } from '../src/frost/refresh.js';
import { defaultRng, type Rng } from '../src/frost/polynomial.js';

export interface Held {
  public: PublicKeyPackage;
  secret: SecretKeyPackage;
}

/** A deterministic RNG: SHA-256(seed ‖ counter) blocks (golden tests only). */
export function seededRng(seed: string): Rng {
  let counter = 0;
  return (len = 32) => {
    const out = new Uint8Array(len);
    for (let at = 0; at < len; at += 32) {
      const block = sha256(new TextEncoder().encode(`${seed}/${counter++}`));
      out.set(block.subarray(0, Math.min(32, len - at)), at);
    }
    return out;
  };
}

/** Signs `msg` with these holders (their own packages) and aggregates under `pub` (default: the first holder's). */
export function signWith(scheme: SchemeName, signers: Held[], msg: Uint8Array, pub: PublicKeyPackage = signers[0]!.public): Uint8Array {
  const r1 = signers.map((k) => signRound1(scheme, k.secret));
  const list = r1.map((r) => r.commitments);
  const shares = Object.fromEntries(signers.map((k, i) => [k.secret.identifier, signRound2(scheme, k.secret, k.public, r1[i]!.nonces, list, msg)]));
  return aggregateSignature(scheme, pub, list, msg, shares);
}

export interface RefreshTamper {
  commitments?: (c: RefreshCommitment[]) => RefreshCommitment[];
  subShares?: (s: RefreshSubShare[]) => RefreshSubShare[];
}

/** Every holder runs refresh round 1, the "network" relays, every holder runs round 2. Results in holder order. */
export function runRefresh(holders: Held[], epoch: number, opts: { sessionId?: string; rng?: Rng; tamper?: RefreshTamper } = {}): LifecycleResult[] {
  const participants = holders.map((h) => h.secret.identifier);
  const r1 = holders.map((h) =>
    refreshRound1WithRng({ sessionId: opts.sessionId ?? 'refresh-1', pub: h.public, secret: h.secret, epoch, participants }, opts.rng ?? defaultRng),
  );
  let commitments = r1.map((r) => r.commitment);
  let subShares = r1.flatMap((r) => r.subShares);
  if (opts.tamper?.commitments) commitments = opts.tamper.commitments(commitments);
  if (opts.tamper?.subShares) subShares = opts.tamper.subShares(subShares);
  return holders.map((h, i) =>
    refreshRound2(
      r1[i]!.state,
      [...commitments].reverse(),
      subShares.filter((m) => m.to === h.secret.identifier),
    ),
  );
}

/** `held` as a list of { public, secret } from a dealer key. */
export function holdersOf(key: { public: PublicKeyPackage; secrets: SecretKeyPackage[] }): Held[] {
  return key.secrets.map((secret) => ({ public: key.public, secret }));
}

/** A copy of a secret message field with the scalar changed by +1 (a tampered sub-share), suite encoding kept. */
export function bumpScalar(s: Secret<Uint8Array>, littleEndian: boolean): Secret<Uint8Array> {
  const b = Uint8Array.from(s.expose());
  const i = littleEndian ? 0 : b.length - 1;
  b[i] = (b[i]! + 1) & 0xff;
  return new Secret(b);
}

/** Digest of everything a run produced (public and secret: Secrets are exposed), for golden tests. */
export function digestOf(value: unknown): string {
  return toHex(sha256(new TextEncoder().encode(canonicalJson(plainOf(value)))));
}

function plainOf(v: unknown): JsonValue {
  if (v instanceof Secret) return toHex(v.expose() as Uint8Array);
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(plainOf);
  if (typeof v === 'object' && v !== null) {
    if (!(v.constructor === Object)) throw new Error(`digestOf: unexpected ${v.constructor.name}`);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainOf(x)]));
  }
  return v as JsonValue;
}

/** The indices 0…n−1 in an order drawn from `picks` (fast-check's infinite stream). */
export function pickOrder(n: number, picks: Iterable<number>): number[] {
  const rest = Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  const it = picks[Symbol.iterator]();
  while (rest.length) out.push(rest.splice((it.next().value as number) % rest.length, 1)[0]!);
  return out;
}
