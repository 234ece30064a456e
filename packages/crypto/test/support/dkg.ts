/**
 * wr's own DKG run whole in one process, every participant a fresh node (signing key, age identity), the messages
 * relayed in memory: keys for tests and benchmarks. The one home of this harness: the crypto tests use it, and other
 * packages and bench/ import it as `@wr/crypto/test-dkg`.
 */
import { generateIdentity } from '@wr/age';
import type { Secret } from '@wr/common';
import { dkgRound1, dkgRound2, dkgRound3, type DkgParticipant, type DkgResult } from '../../src/frost/dkg.js';
import { identifierFor } from '../../src/frost/key-package.js';
import type { SchemeName } from '../../src/frost/schemes.js';
import { generateSigningKey } from '../../src/node-keys.js';

export interface Node {
  participant: DkgParticipant;
  signingKey: Secret<Uint8Array>;
  ageIdentity: Secret<string>;
}

export async function makeNodes(scheme: SchemeName, n: number): Promise<Node[]> {
  const out: Node[] = [];
  for (let i = 1; i <= n; i++) {
    const k = generateSigningKey();
    const a = await generateIdentity('x25519');
    out.push({
      participant: { identifier: identifierFor(scheme, i), recipient: a.recipient, signingKey: k.publicKey },
      signingKey: k.secretKey,
      ageIdentity: a.identity,
    });
  }
  return out;
}

/** Runs a whole DKG over an in-memory "network" (the coordinator relays messages, round 1's in reverse order). */
export async function runDkg(scheme: SchemeName, minSigners: number, nodes: Node[], sessionId = 'session-1'): Promise<DkgResult[]> {
  const participants = nodes.map((n) => n.participant);
  const r1 = nodes.map((n) => dkgRound1({ sessionId, scheme, minSigners, participants, self: n.participant.identifier, signingKey: n.signingKey }));
  const broadcast = r1.map((r) => r.message);
  const r2 = (await Promise.all(r1.map((r) => dkgRound2(r.state, [...broadcast].reverse())))).flat();
  return Promise.all(
    nodes.map((n, i) =>
      dkgRound3(
        r1[i]!.state,
        r2.filter((m) => m.to === n.participant.identifier),
        n.ageIdentity,
      ),
    ),
  );
}
