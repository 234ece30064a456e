/** wr's own 2-of-2 DKG in-process (dkgRound1..3 between two participants with fresh keys): keys for benchmarks. */
import { generateIdentity } from '@wr/age';
import { dkgRound1, dkgRound2, dkgRound3, generateSigningKey, identifierFor, type DkgParticipant, type DkgResult, type SchemeName } from '@wr/crypto';

export async function oursKeys(scheme: SchemeName): Promise<DkgResult[]> {
  const nodes = [];
  for (let i = 1; i <= 2; i++) {
    const k = generateSigningKey();
    const a = await generateIdentity('x25519');
    nodes.push({
      participant: { identifier: identifierFor(scheme, i), recipient: a.recipient, signingKey: k.publicKey } as DkgParticipant,
      signingKey: k.secretKey,
      age: a.identity,
    });
  }
  const participants = nodes.map((n) => n.participant);
  const r1 = nodes.map((n) =>
    dkgRound1({ sessionId: 'bench-sign-path', scheme, minSigners: 2, participants, self: n.participant.identifier, signingKey: n.signingKey }),
  );
  const r2 = (
    await Promise.all(
      r1.map((r) =>
        dkgRound2(
          r.state,
          r1.map((x) => x.message),
        ),
      ),
    )
  ).flat();
  return Promise.all(
    nodes.map((n, i) =>
      dkgRound3(
        r1[i]!.state,
        r2.filter((m) => m.to === n.participant.identifier),
        n.age,
      ),
    ),
  );
}
