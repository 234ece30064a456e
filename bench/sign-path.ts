/**
 * The in-process FROST sign path, step by step (issue 15): wr's signRound1 / signRound2 /
 * aggregateSignature for 2-of-2, beside noble's own commit / signShare / aggregate in the
 * same run (the baseline). Ours adds the boundary checks and the final standard-verifier
 * check; each row prints the median µs per call and calls per second.
 *
 * Medians over BENCH_RUNS calls (default 60) after warm-up.
 *   npx tsc -b bench && node bench/dist/sign-path.js
 */
import { ed25519_FROST } from '@noble/curves/ed25519.js';
import { secp256k1_FROST } from '@noble/curves/secp256k1.js';
import { utf8 } from '@wr/common';
import { aggregateSignature, getScheme, signRound1, signRound2, type SchemeName } from '@wr/crypto';

import { oursKeys } from './support/dkg.js';
import { timeIt } from './timing.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 0) || 60;
const WARMUP = 5;
const SCHEMES = [
  ['frost-ed25519', ed25519_FROST],
  ['frost-secp256k1', secp256k1_FROST],
] as const;
const msg = utf8('benchmark message, 32 bytes long');

function nobleKeys(frost: typeof ed25519_FROST) {
  const ids = [1, 2].map((i) => frost.Identifier.fromNumber(i));
  const signers = { min: 2, max: 2 };
  const r1 = ids.map((id) => frost.DKG.round1(id, signers));
  const r2 = r1.map((r, i) =>
    frost.DKG.round2(
      r.secret,
      r1.filter((_, j) => j !== i).map((x) => x.public),
    ),
  );
  return r1.map((r, i) =>
    frost.DKG.round3(
      r.secret,
      r1.filter((_, j) => j !== i).map((x) => x.public),
      r2.filter((_, j) => j !== i).map((x) => x[ids[i]!]!),
    ),
  );
}

interface Row {
  step: string;
  ours: number;
  noble: number;
}

async function us(label: string, fn: () => unknown): Promise<number> {
  return (await timeIt(label, fn, { iterations: RUNS, warmup: WARMUP })).medianUs;
}

async function measure(scheme: SchemeName, frost: typeof ed25519_FROST): Promise<Row[]> {
  const [a, b] = await oursKeys(scheme);
  const pool = RUNS + WARMUP + 1;
  // signRound2 consumes its nonces: each timed call takes a fresh session from a pool made beforehand.
  const sessions = Array.from({ length: pool }, () => {
    const ra = signRound1(scheme, a!.secret);
    const rb = signRound1(scheme, b!.secret);
    return { ra, rb, list: [ra.commitments, rb.commitments] };
  });
  const one = sessions[0]!;
  const shares = {
    [a!.secret.identifier]: signRound2(scheme, a!.secret, a!.public, one.ra.nonces, one.list, msg),
    [b!.secret.identifier]: signRound2(scheme, b!.secret, b!.public, one.rb.nonces, one.list, msg),
  };
  const sig = aggregateSignature(scheme, a!.public, one.list, msg, shares);
  if (!getScheme(scheme).verify(sig, msg, Uint8Array.from(Buffer.from(a!.public.groupPublicKey, 'hex')))) throw new Error('signature does not verify');
  let next = 1;
  const r1 = await us('ours round1', () => signRound1(scheme, a!.secret).nonces.destroy());
  const r2 = await us('ours round2', () => {
    const s = sessions[next++]!;
    return signRound2(scheme, b!.secret, b!.public, s.rb.nonces, s.list, msg);
  });
  const agg = await us('ours aggregate', () => aggregateSignature(scheme, a!.public, one.list, msg, shares));

  const [na, nb] = nobleKeys(frost);
  const nSessions = Array.from({ length: pool }, () => {
    const ca = frost.commit(na!.secret);
    const cb = frost.commit(nb!.secret);
    return { ca, cb, list: [ca.commitments, cb.commitments] };
  });
  const n1 = nSessions[0]!;
  const nShares = {
    [na!.secret.identifier]: frost.signShare(na!.secret, na!.public, n1.ca.nonces, n1.list, msg),
    [nb!.secret.identifier]: frost.signShare(nb!.secret, nb!.public, n1.cb.nonces, n1.list, msg),
  };
  let nNext = 1;
  const nr1 = await us('noble commit', () => frost.commit(na!.secret));
  const nr2 = await us('noble signShare', () => {
    const s = nSessions[nNext++]!;
    return frost.signShare(nb!.secret, nb!.public, s.cb.nonces, s.list, msg);
  });
  const nAgg = await us('noble aggregate', () => frost.aggregate(na!.public, n1.list, msg, nShares));
  return [
    { step: 'round1 (commit)', ours: r1, noble: nr1 },
    { step: 'round2 (sign share)', ours: r2, noble: nr2 },
    { step: 'aggregate', ours: agg, noble: nAgg },
    { step: '2-of-2 sign, total', ours: 2 * r1 + 2 * r2 + agg, noble: 2 * nr1 + 2 * nr2 + nAgg },
  ];
}

const cell = (v: number) => `${v.toFixed(0).padStart(7)} µs ${(1e6 / v).toFixed(0).padStart(6)}/s`;
console.log(`node ${process.version}; medians of ${RUNS} calls after ${WARMUP} warm-up; total = 2×round1 + 2×round2 + aggregate`);
console.log(`${'scheme'.padEnd(17)} ${'step'.padEnd(21)} ${'wr'.padStart(17)} ${'noble'.padStart(17)} ${'wr/noble'.padStart(9)}`);
for (const [scheme, frost] of SCHEMES) {
  for (const r of await measure(scheme, frost)) {
    console.log(`${scheme.padEnd(17)} ${r.step.padEnd(21)} ${cell(r.ours)} ${cell(r.noble)} ${(r.ours / r.noble).toFixed(2).padStart(8)}×`);
  }
}
