/**
 * The network's roster: every node's id, signing key and age recipients, signed
 * by the root admin key. Nodes refuse protocol peers outside it and trust only
 * its signing keys for imports; the workspace pins node keys from it rather
 * than from what a node (or whoever answers at its address) says.
 */
import { Type as T, type Static } from '@sinclair/typebox';
import { Ed25519PublicKey, Ed25519Signature, NodeId } from './fields.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { WrError, fromHex, verifyRaw } from '@wr/common';

export const RosterNode = T.Object(
  {
    nodeId: NodeId,
    signingKey: Ed25519PublicKey,
    recipientKey: T.String({ pattern: '^age1[0-9a-z]{58}$' }),
    postQuantumRecipientKey: T.String({ pattern: '^age1pq1[0-9a-z]+$', maxLength: 4096 }),
    /** Where the workspace reaches the node (https://HOST:PORT), as `wr node init` printed it. */
    url: T.Optional(T.String({ pattern: '^https?://[^\\s/?#]+$', maxLength: 300 })),
    /** SHA-256 of the node's TLS certificate (64 hex digits): the workspace connects only to a node presenting it. */
    tlsCertFingerprint: T.Optional(T.String({ pattern: '^[0-9a-f]{64}$' })),
  },
  { additionalProperties: false },
);
export type RosterNode = Static<typeof RosterNode>;

export const Roster = T.Object(
  {
    version: T.Integer({ minimum: 1 }),
    issuedAt: T.String({ maxLength: 64 }),
    nodes: T.Array(RosterNode, { minItems: 1, maxItems: 64 }),
  },
  { additionalProperties: false },
);
export type Roster = Static<typeof Roster>;

/** The roster as signed: its exact JSON text and the root admin's signature over it. */
export const SignedRoster = T.Object({ roster: T.String({ maxLength: 512 * 1024 }), signature: Ed25519Signature }, { additionalProperties: false });
export type SignedRoster = Static<typeof SignedRoster>;

export function rosterMessage(text: string): Uint8Array {
  return new TextEncoder().encode(`wr-roster-v1\n${text}`);
}

// Pure: a bundle that never checks a roster (the web console, whose CSP forbids the compiler's eval) drops it.
const checkRoster = /* @__PURE__ */ TypeCompiler.Compile(Roster);

/** The roster inside `signed`, if the root admin key signed it and it is well formed; throws otherwise. */
export function openRoster(signed: SignedRoster, adminPublicKey: string): Roster {
  if (!verifyRaw(fromHex(adminPublicKey, 'adminPublicKey', 32), rosterMessage(signed.roster), fromHex(signed.signature, 'signature', 64))) {
    throw new WrError('PERMISSION_DENIED', "the roster is not signed by this network's root admin key");
  }
  let roster: unknown;
  try {
    roster = JSON.parse(signed.roster);
  } catch {
    throw new WrError('INVALID_ARGUMENT', 'roster: not valid JSON', { param: 'roster' });
  }
  if (!checkRoster.Check(roster)) throw new WrError('INVALID_ARGUMENT', 'roster: not a well-formed roster', { param: 'roster' });
  for (const field of ['nodeId', 'signingKey', 'recipientKey', 'postQuantumRecipientKey'] as const) {
    if (new Set(roster.nodes.map((n) => n[field])).size !== roster.nodes.length) {
      throw new WrError('INVALID_ARGUMENT', `roster: two nodes share a ${field}`, { param: 'roster' });
    }
  }
  return roster;
}
