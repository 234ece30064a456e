/**
 * FROST cost of wr's layer (@wr/crypto) beside noble's own, in the same process:
 *
 *   DKG 2-of-2, 2-of-3
 *                every participant's rounds 1–3, per key. Ours adds node-key signatures,
 *                transcript hashing, age encryption of each round-2 package and the
 *                key-package checks; noble's is DKG.round1/2/3 alone. Ours runs
 *                frost-ed25519 on libsodium, the secp256k1 suites on noble's DKG.
 *   sign 2-of-3  two signers: round 1 + round 2 each, then aggregate. Ours adds the
 *                boundary checks and a final check with the standard verifier.
 *
 * Medians over BENCH_RUNS runs (default 15 DKG, 40 sign) after warm-up.
 *   npx tsc -b bench && node bench/dist/frost.js
 */
import { ed25519_FROST } from '@noble/curves/ed25519.js';
import { schnorr_FROST, secp256k1_FROST } from '@noble/curves/secp256k1.js';
import { utf8 } from '@wr/common';
import { SCHEME_NAMES, aggregateSignature, getScheme, signRound1, signRound2, type DkgResult, type SchemeName } from '@wr/crypto';
import { makeNodes, runDkg, type Node } from '@wr/crypto/test-dkg';

import { timeIt } from './timing.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 0);
const DKG_RUNS = RUNS || 15;
const SIGN_RUNS = RUNS || 40;
const WARMUP = 3;

/** The baseline: noble's own suites, imported here because @wr/crypto does not hand out noble objects. */
const NOBLE_FROST: Record<SchemeName, typeof ed25519_FROST> = {
  'frost-ed25519': ed25519_FROST,
  'frost-secp256k1': secp256k1_FROST,
  'frost-secp256k1-tr': schnorr_FROST,
};

/** Median milliseconds per call (bench/timing.ts measures microseconds). */
async function medianMs(label: string, runs: number, fn: () => unknown): Promise<number> {
  return (await timeIt(label, fn, { iterations: runs, warmup: WARMUP })).medianUs / 1000;
}

let session = 0;
const oursDkg = (scheme: SchemeName, nodes: Node[]): Promise<DkgResult[]> => runDkg(scheme, 2, nodes, `bench-${++session}`);

function nobleDkg(scheme: SchemeName, max: number) {
  const frost = NOBLE_FROST[scheme];
  const signers = { min: 2, max };
  const ids = Array.from({ length: max }, (_, i) => frost.Identifier.fromNumber(i + 1));
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

const msg = utf8('benchmark message, 32 bytes long');

function oursSign(scheme: SchemeName, keys: DkgResult[]): Uint8Array {
  const [a, b] = [keys[0]!, keys[2]!];
  const ra = signRound1(scheme, a.secret);
  const rb = signRound1(scheme, b.secret);
  const list = [ra.commitments, rb.commitments];
  return aggregateSignature(scheme, a.public, list, msg, {
    [a.secret.identifier]: signRound2(scheme, a.secret, a.public, ra.nonces, list, msg),
    [b.secret.identifier]: signRound2(scheme, b.secret, b.public, rb.nonces, list, msg),
  });
}

function nobleSign(scheme: SchemeName, keys: ReturnType<typeof nobleDkg>): Uint8Array {
  const frost = NOBLE_FROST[scheme];
  const [a, b] = [keys[0]!, keys[2]!];
  const ca = frost.commit(a.secret);
  const cb = frost.commit(b.secret);
  const list = [ca.commitments, cb.commitments];
  return frost.aggregate(a.public, list, msg, {
    [a.secret.identifier]: frost.signShare(a.secret, a.public, ca.nonces, list, msg),
    [b.secret.identifier]: frost.signShare(b.secret, b.public, cb.nonces, list, msg),
  });
}

const fmt = (ms: number) => `${ms.toFixed(2).padStart(8)} ms`;

console.log(`node ${process.version}; medians of ${DKG_RUNS} DKG / ${SIGN_RUNS} sign runs (after ${WARMUP} warm-up runs)`);
const head = ['DKG 2-of-2 wr', 'noble', 'DKG 2-of-3 wr', 'noble', 'sign 2-of-3 wr', 'sign noble'];
console.log(`${'scheme'.padEnd(20)} ${head.map((h) => h.padStart(14)).join(' ')}`);
for (const scheme of SCHEME_NAMES) {
  const nodes = await makeNodes(scheme, 3);
  const dkg22 = await medianMs('dkg wr 2-of-2', DKG_RUNS, () => oursDkg(scheme, nodes.slice(0, 2)));
  const dkg22Noble = await medianMs('dkg noble 2-of-2', DKG_RUNS, () => nobleDkg(scheme, 2));
  const dkgOurs = await medianMs('dkg wr', DKG_RUNS, () => oursDkg(scheme, nodes));
  const dkgNoble = await medianMs('dkg noble', DKG_RUNS, () => nobleDkg(scheme, 3));
  const keys = await oursDkg(scheme, nodes);
  const nobleKeys = nobleDkg(scheme, 3);
  const s = getScheme(scheme);
  if (!s.verify(oursSign(scheme, keys), msg, Uint8Array.from(Buffer.from(keys[0]!.public.groupPublicKey, 'hex')))) throw new Error('signature does not verify');
  const signOurs = await medianMs('sign wr', SIGN_RUNS, () => oursSign(scheme, keys));
  const signNoble = await medianMs('sign noble', SIGN_RUNS, () => nobleSign(scheme, nobleKeys));
  const row = [dkg22, dkg22Noble, dkgOurs, dkgNoble, signOurs, signNoble];
  console.log(`${scheme.padEnd(20)} ${row.map((ms) => fmt(ms).padStart(14)).join(' ')}`);
}
