/** The in-process baselines: noble's FROST(Ed25519) DKG and a two-party sign + aggregate, with nothing between the parties. */
import { ed25519_FROST as frost } from '@noble/curves/ed25519.js';

/** A t-of-n key made by noble's DKG, every party in this process. */
export function nobleDkg(min: number, max: number) {
  const signers = { min, max };
  const ids = Array.from({ length: max }, (_, i) => frost.Identifier.fromNumber(i + 1));
  const r1 = ids.map((id) => frost.DKG.round1(id, signers));
  const r2 = r1.map((p) =>
    frost.DKG.round2(
      p.secret,
      r1.filter((o) => o !== p).map((o) => o.public),
    ),
  );
  return r1.map((p, i) =>
    frost.DKG.round3(
      p.secret,
      r1.filter((o) => o !== p).map((o) => o.public),
      r2.filter((_, j) => j !== i).map((m) => m[ids[i]!]!),
    ),
  );
}

/** The first two parties of `keys` sign `msg` and aggregate. */
export function nobleSign(keys: ReturnType<typeof nobleDkg>, msg: Uint8Array) {
  const signers = keys.slice(0, 2);
  const n = signers.map((k) => frost.commit(k.secret));
  const commitments = n.map((x) => x.commitments);
  const shares = Object.fromEntries(signers.map((k, i) => [k.secret.identifier, frost.signShare(k.secret, k.public, n[i]!.nonces, commitments, msg)]));
  return frost.aggregate(signers[0]!.public, commitments, msg, shares);
}
