/**
 * Protection for the share-lifecycle messages on the wire, as DKG has it
 * (dkg-messages.ts): broadcasts are signed by the sender's node key; secret
 * messages (sub-shares, deltas, sigmas) are signed and then encrypted with age to
 * the one recipient, so only it can read them and it knows who sent them. Every
 * signed or sealed byte string is a domain-separated frame (internal/wire.ts)
 * naming the message kind and version, and binds the session, scheme, epoch,
 * sender and recipient:
 *
 *   broadcast signature  Ed25519(sender's node key) over
 *                        frame("wr/frost-lifecycle/<kind>-signature/v1", sessionId, scheme,
 *                              decimal epoch, from, u32(#commitments), commitment…)
 *                        kind: refresh-commitment | reshare-commitment
 *   secret signature     Ed25519(sender's node key) over
 *                        frame("wr/frost-lifecycle/<kind>-signature/v1", sessionId, scheme,
 *                              decimal epoch, from, to, scalar)
 *   secret plaintext     frame("wr/frost-lifecycle/<kind>/v1", sessionId, scheme, decimal epoch,
 *                              from, to, scalar, signature) — only inside an age file to `to`
 *                        kind: refresh-sub-share | reshare-sub-share | repair-delta | repair-sigma
 *
 * Strings are UTF-8, identifiers their hex text, commitments and scalars raw
 * bytes (the suite's encodings). Pinned by the golden test in test/lifecycle-messages.test.ts.
 *
 * Equivocation (a dealer showing different commitments to different receivers)
 * is caught afterwards: the participants compare their results' `confirmation`.
 */
import { unwrap, wrap } from '@wr/age';
import { Secret, fromHex, hexBytes, invalidArgument, signRaw, toHex, utf8, verifyRaw } from '@wr/common';

import { ShareInvalidError } from '../errors.js';
import { decodeFrame, encodeFrame, u32 } from '../internal/wire.js';
import type { RefreshCommitment, RefreshSubShare } from './refresh.js';
import type { RepairDelta, RepairSigma } from './repair.js';
import type { ReshareCommitment, ReshareSubShare } from './reshare.js';
import { isSchemeName, type SchemeName } from './schemes.js';

/** The secret messages, by kind. */
export interface LifecycleSecretMessages {
  'refresh-sub-share': RefreshSubShare;
  'reshare-sub-share': ReshareSubShare;
  'repair-delta': RepairDelta;
  'repair-sigma': RepairSigma;
}
export type LifecycleSecretKind = keyof LifecycleSecretMessages;

/** The broadcasts, by kind. */
export interface LifecycleBroadcasts {
  'refresh-commitment': RefreshCommitment;
  'reshare-commitment': ReshareCommitment;
}
export type LifecycleBroadcastKind = keyof LifecycleBroadcasts;

const SECRET_FIELD = { 'refresh-sub-share': 'subShare', 'reshare-sub-share': 'subShare', 'repair-delta': 'delta', 'repair-sigma': 'sigma' } as const;

/** A secret message on the wire: the addressing in the clear (for routing), the rest inside `ciphertext`. */
export interface SealedLifecycleMessage {
  kind: LifecycleSecretKind;
  sessionId: string;
  scheme: SchemeName;
  epoch: number;
  from: string;
  to: string;
  /** Armored age file to `to`'s X25519 recipient, holding the signed plaintext frame. */
  ciphertext: string;
}

function checkSecretKind(kind: unknown): LifecycleSecretKind {
  if (typeof kind !== 'string' || !Object.prototype.hasOwnProperty.call(SECRET_FIELD, kind))
    throw invalidArgument('kind', `must be one of ${Object.keys(SECRET_FIELD).join(', ')}`);
  return kind as LifecycleSecretKind;
}

function checkBroadcastKind(kind: unknown): LifecycleBroadcastKind {
  if (kind !== 'refresh-commitment' && kind !== 'reshare-commitment') throw invalidArgument('kind', 'must be refresh-commitment or reshare-commitment');
  return kind;
}

interface Header {
  sessionId: string;
  scheme: string;
  epoch: number;
  from: string;
  to: string;
}

const headerFields = (h: Header) => [utf8(h.sessionId), utf8(h.scheme), utf8(String(h.epoch)), utf8(h.from), utf8(h.to)];

function secretSigningBytes(kind: LifecycleSecretKind, h: Header, scalar: Uint8Array): Uint8Array {
  return encodeFrame(`wr/frost-lifecycle/${kind}-signature/v1`, [...headerFields(h), scalar]);
}

/** The plaintext sealed for `to` (exported for the golden test only; NOT exported from the package). */
export function secretPlaintext(kind: LifecycleSecretKind, h: Header, scalar: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeFrame(`wr/frost-lifecycle/${kind}/v1`, [...headerFields(h), scalar, signature]);
}

export function broadcastSigningBytes(kind: LifecycleBroadcastKind, m: RefreshCommitment | ReshareCommitment): Uint8Array {
  const commitments = m.commitments.map((c, i) => fromHex(c, `commitments[${i}]`));
  return encodeFrame(`wr/frost-lifecycle/${kind}-signature/v1`, [
    utf8(m.sessionId),
    utf8(m.scheme),
    utf8(String(m.epoch)),
    utf8(m.from),
    u32(commitments.length),
    ...commitments,
  ]);
}

function checkHeader(m: unknown, param: string): Header {
  if (typeof m !== 'object' || m === null) throw invalidArgument(param, 'must be an object');
  const { sessionId, scheme, epoch, from, to } = m as Record<string, unknown>;
  if (typeof sessionId !== 'string' || typeof from !== 'string' || typeof to !== 'string' || !isSchemeName(scheme))
    throw invalidArgument(param, 'must carry sessionId, scheme, from and to');
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) throw invalidArgument(param, 'epoch must be a non-negative integer');
  return { sessionId, scheme, epoch, from, to };
}

/**
 * Signs a secret message with the sender's node key and encrypts it to the
 * recipient's age X25519 recipient. The message's Secret is left as it is (the
 * caller destroys it once every copy is sealed).
 */
export async function sealLifecycleMessage<K extends LifecycleSecretKind>(
  kind: K,
  message: LifecycleSecretMessages[K],
  opts: { signingKey: Secret<Uint8Array>; recipient: string },
): Promise<SealedLifecycleMessage> {
  checkSecretKind(kind);
  const h = checkHeader(message, 'message');
  const secret = (message as unknown as Record<string, unknown>)[SECRET_FIELD[kind]];
  if (!(secret instanceof Secret) || secret.destroyed || !(secret.expose() instanceof Uint8Array))
    throw invalidArgument('message', `${SECRET_FIELD[kind]} must be a live Secret holding bytes`);
  if (typeof opts !== 'object' || opts === null || typeof opts.recipient !== 'string' || !opts.recipient.startsWith('age1'))
    throw invalidArgument('recipient', 'must be an age recipient (age1…)');
  const scalar = (secret as Secret<Uint8Array>).expose();
  const signature = signRaw(opts.signingKey, secretSigningBytes(kind, h, scalar));
  const plaintext = secretPlaintext(kind, h, scalar, signature);
  try {
    return { kind, ...h, scheme: h.scheme as SchemeName, ciphertext: await wrap(plaintext, [opts.recipient], 'recipient') };
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Decrypts a sealed message with the recipient's age identity, checks that the
 * signed header inside is the one outside, and the sender's signature
 * (SHARE_INVALID checks `lifecycle-message-format`, `lifecycle-message-addressing`,
 * `lifecycle-message-signature`, culprit the sender; age's NO_IDENTITY_MATCH or
 * WRAPPED_SHARE_CORRUPT if it does not decrypt). Returns the message with its
 * secret in a fresh Secret; the protocol step then checks the session, epoch and value.
 */
export async function openLifecycleMessage<K extends LifecycleSecretKind>(
  kind: K,
  sealed: SealedLifecycleMessage,
  opts: { ageIdentity: Secret<string>; senderSigningKey: string },
): Promise<LifecycleSecretMessages[K]> {
  checkSecretKind(kind);
  const h = checkHeader(sealed, 'sealed');
  if (sealed.kind !== kind) throw invalidArgument('sealed', `is a ${String(sealed.kind)}, not a ${kind}`);
  if (typeof sealed.ciphertext !== 'string') throw invalidArgument('sealed', 'ciphertext must be an armored age file');
  const senderKey = hexBytes(opts?.senderSigningKey, 32);
  if (!senderKey) throw invalidArgument('senderSigningKey', 'must be 64 lowercase hex digits');
  const plaintext = await unwrap(sealed.ciphertext, { identities: [opts.ageIdentity] });
  try {
    const f = decodeFrame(`wr/frost-lifecycle/${kind}/v1`, plaintext, 7);
    const fail = (check: string, why: string) => new ShareInvalidError(check, `${kind} from ${h.from}: ${why}; abort this session`, [h.from]);
    if (!f) throw fail('lifecycle-message-format', 'the sealed message is not in the expected format');
    const dec = new TextDecoder('utf-8', { fatal: true });
    let inner: Header;
    try {
      inner = { sessionId: dec.decode(f[0]), scheme: dec.decode(f[1]), epoch: Number(dec.decode(f[2])), from: dec.decode(f[3]), to: dec.decode(f[4]) };
    } catch {
      throw fail('lifecycle-message-format', 'the sealed message is not in the expected format');
    }
    const [scalar, signature] = [f[5]!, f[6]!];
    if (inner.sessionId !== h.sessionId || inner.scheme !== h.scheme || inner.epoch !== h.epoch || inner.from !== h.from || inner.to !== h.to)
      throw fail('lifecycle-message-addressing', 'the signed session, scheme, epoch or addressing differs from the envelope');
    if (!verifyRaw(senderKey, secretSigningBytes(kind, inner, scalar), signature)) throw fail('lifecycle-message-signature', 'the node signature is invalid');
    return { ...h, scheme: h.scheme as SchemeName, [SECRET_FIELD[kind]]: new Secret(Uint8Array.from(scalar)) } as unknown as LifecycleSecretMessages[K];
  } finally {
    plaintext.fill(0);
  }
}

/** The sender's Ed25519 signature (hex) over a broadcast; send it beside the message. */
export function signLifecycleBroadcast<K extends LifecycleBroadcastKind>(kind: K, message: LifecycleBroadcasts[K], signingKey: Secret<Uint8Array>): string {
  checkBroadcastKind(kind);
  checkBroadcastShape(message);
  return toHex(signRaw(signingKey, broadcastSigningBytes(kind, message)));
}

/** True iff `signature` is the holder of `senderSigningKey`'s signature over this broadcast of this kind. Never throws. */
export function verifyLifecycleBroadcast<K extends LifecycleBroadcastKind>(
  kind: K,
  message: LifecycleBroadcasts[K],
  signature: string,
  senderSigningKey: string,
): boolean {
  try {
    checkBroadcastKind(kind);
    checkBroadcastShape(message);
    const key = hexBytes(senderSigningKey, 32);
    const sig = hexBytes(signature, 64);
    return !!key && !!sig && verifyRaw(key, broadcastSigningBytes(kind, message), sig);
  } catch {
    return false;
  }
}

function checkBroadcastShape(m: unknown): void {
  if (typeof m !== 'object' || m === null) throw invalidArgument('message', 'must be an object');
  const { sessionId, scheme, epoch, from, commitments } = m as Record<string, unknown>;
  if (typeof sessionId !== 'string' || typeof from !== 'string' || !isSchemeName(scheme) || !Number.isSafeInteger(epoch) || !Array.isArray(commitments))
    throw invalidArgument('message', 'must carry sessionId, scheme, epoch, from and commitments');
}
