// How an age decryption failed, in the C2SP age test-kit's vocabulary, and the
// stable wr code each kind maps to (the same split as the Go reference's
// testkit: a missing match is the caller's problem, everything else means the
// file itself is damaged).
import { WrError } from '@wr/common';

/**
 * - `armor`: the ASCII armor is malformed.
 * - `header`: the header does not parse, a stanza meant for one of the given
 *   identities is malformed (wrong length, non-canonical, all-zero X25519
 *   secret, scrypt mixed with other stanzas, ...), or the payload nonce is missing.
 * - `hmac`: the header MAC does not verify under the recovered file key.
 * - `payload`: the encrypted payload is truncated, tampered with, or followed by trailing data.
 * - `no match`: the header is well formed, but no stanza opens with the given identities.
 */
export type UnwrapFailure = 'armor' | 'header' | 'hmac' | 'payload' | 'no match';

const MESSAGES: Record<UnwrapFailure, string> = {
  armor: 'the wrapped share is not a valid age file: its ASCII armor is malformed',
  header: 'the wrapped share is not a valid age file: its header is malformed',
  hmac: 'the wrapped share was tampered with: its header MAC does not verify',
  payload: 'the wrapped share is truncated or was tampered with: its payload does not authenticate',
  'no match': 'no identity matches any recipient of the wrapped share',
};

/**
 * A classified decryption failure. `code` is NO_IDENTITY_MATCH for `no match`
 * and WRAPPED_SHARE_CORRUPT otherwise; `failure` says which check failed. The
 * message is fixed per kind: it never carries input, key material or the
 * underlying library's wording.
 */
export class UnwrapError extends WrError {
  readonly failure: UnwrapFailure;

  constructor(failure: UnwrapFailure) {
    super(failure === 'no match' ? 'NO_IDENTITY_MATCH' : 'WRAPPED_SHARE_CORRUPT', MESSAGES[failure]);
    this.name = 'UnwrapError';
    this.failure = failure;
  }
}

/**
 * Thrown by our `Identity` implementations when a stanza of their own type is
 * malformed (the `Identity` contract's "throw" case). It is never shown to a
 * caller: the decryption is reported as a `header` failure.
 */
export class MalformedStanzaError extends Error {
  constructor(what: string) {
    super(`invalid ${what} stanza`);
    this.name = 'MalformedStanzaError';
  }
}
