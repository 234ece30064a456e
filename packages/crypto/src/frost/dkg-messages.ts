/**
 * What DKG participants sign and hash. Every signed or hashed byte string is a
 * domain-separated frame (internal/wire.ts), so a signature made for one message
 * type cannot be passed off as another.
 *
 *   round-1 signature   Ed25519(node key) over
 *                       frame("wr/frost-dkg/round1/v1", sessionId, scheme, from,
 *                             u32(#commitments), commitment…, proofOfKnowledge)
 *   transcript hash     SHA-256 of
 *                       frame("wr/frost-dkg/transcript/v1", sessionId, scheme,
 *                             u32(minSigners), u32(maxSigners),
 *                             for each participant by identifier: identifier, recipient, signingKey,
 *                             for each round-1 broadcast by sender: from, u32(#c), c…, proofOfKnowledge)
 *                       Independent of the order messages arrived in; equal at two
 *                       participants iff they saw the same round-1 broadcasts.
 *   round-2 signature   Ed25519(sender's node key) over
 *                       frame("wr/frost-dkg/round2-signature/v1", sessionId, scheme, from, to,
 *                             signingShare, transcriptHash)
 *   round-2 plaintext   frame("wr/frost-dkg/round2/v1", sessionId, scheme, from, to,
 *                             signingShare, transcriptHash, signature)
 *                       — travels only inside an age file to the recipient.
 *
 * Strings are UTF-8; identifiers are their hex text; points, scalars, hashes and
 * signatures are raw bytes.
 */
import { sha256 } from '@noble/hashes/sha2.js';

import { utf8 } from '@wr/common';

import { decodeFrame, encodeFrame, u32 } from '../internal/wire.js';
import type { SchemeName } from './schemes.js';

const ROUND1_SIGNATURE_DOMAIN = 'wr/frost-dkg/round1/v1';
const TRANSCRIPT_DOMAIN = 'wr/frost-dkg/transcript/v1';
const ROUND2_SIGNATURE_DOMAIN = 'wr/frost-dkg/round2-signature/v1';
const ROUND2_PAYLOAD_DOMAIN = 'wr/frost-dkg/round2/v1';

export function round1SigningBytes(
  sessionId: string,
  scheme: SchemeName,
  from: string,
  commitment: readonly Uint8Array[],
  proofOfKnowledge: Uint8Array,
): Uint8Array {
  return encodeFrame(ROUND1_SIGNATURE_DOMAIN, [utf8(sessionId), utf8(scheme), utf8(from), u32(commitment.length), ...commitment, proofOfKnowledge]);
}

export interface TranscriptInput {
  sessionId: string;
  scheme: SchemeName;
  minSigners: number;
  maxSigners: number;
  participants: readonly { identifier: string; recipient: string; signingKey: string }[];
  round1: readonly { from: string; commitment: readonly Uint8Array[]; proofOfKnowledge: Uint8Array }[];
}

const byKey =
  <T>(key: (t: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

export function transcriptHash(t: TranscriptInput): Uint8Array {
  const fields: Uint8Array[] = [utf8(t.sessionId), utf8(t.scheme), u32(t.minSigners), u32(t.maxSigners)];
  for (const p of [...t.participants].sort(byKey((p) => p.identifier))) fields.push(utf8(p.identifier), utf8(p.recipient), utf8(p.signingKey));
  for (const m of [...t.round1].sort(byKey((m) => m.from))) fields.push(utf8(m.from), u32(m.commitment.length), ...m.commitment, m.proofOfKnowledge);
  return sha256(encodeFrame(TRANSCRIPT_DOMAIN, fields));
}

export interface Round2Body {
  sessionId: string;
  scheme: string;
  from: string;
  to: string;
  signingShare: Uint8Array;
  transcriptHash: Uint8Array;
}

export function round2SigningBytes(b: Round2Body): Uint8Array {
  return encodeFrame(ROUND2_SIGNATURE_DOMAIN, [utf8(b.sessionId), utf8(b.scheme), utf8(b.from), utf8(b.to), b.signingShare, b.transcriptHash]);
}

export function encodeRound2Payload(b: Round2Body, signature: Uint8Array): Uint8Array {
  return encodeFrame(ROUND2_PAYLOAD_DOMAIN, [utf8(b.sessionId), utf8(b.scheme), utf8(b.from), utf8(b.to), b.signingShare, b.transcriptHash, signature]);
}

/** The body and signature of a round-2 plaintext, or undefined if it is not one. Fields view `payload`. */
export function decodeRound2Payload(payload: Uint8Array): { body: Round2Body; signature: Uint8Array } | undefined {
  const f = decodeFrame(ROUND2_PAYLOAD_DOMAIN, payload, 7);
  if (!f) return undefined;
  const dec = new TextDecoder('utf-8', { fatal: true });
  try {
    return {
      body: { sessionId: dec.decode(f[0]), scheme: dec.decode(f[1]), from: dec.decode(f[2]), to: dec.decode(f[3]), signingShare: f[4]!, transcriptHash: f[5]! },
      signature: f[6]!,
    };
  } catch {
    return undefined;
  }
}
