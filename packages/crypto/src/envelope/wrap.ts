/** Thin helpers joining the envelope to age (@wr/age): seal → wrap, unwrap → open. */
import { unwrap, wrap } from '@wr/age';
import { Secret, invalidArgument } from '@wr/common';

import { openEnvelope, type OpenedEnvelope, type OpenEnvelopeOptions } from './envelope.js';

/** Encrypts a sealed envelope to one or more age recipients; an armored age file. */
export async function wrapShare(envelope: Secret<Uint8Array>, recipients: readonly string[]): Promise<string> {
  if (!(envelope instanceof Secret) || envelope.destroyed) throw invalidArgument('envelope', 'must be a live Secret from sealEnvelope');
  if (!Array.isArray(recipients) || recipients.length === 0) throw invalidArgument('ageRecipient', 'must name at least one age recipient');
  return wrap(envelope.expose(), recipients, 'ageRecipient');
}

/**
 * Decrypts a wrapped share with age identities and opens the envelope, checking
 * everything. NO_IDENTITY_MATCH / WRAPPED_SHARE_CORRUPT from age; SHARE_INVALID /
 * UNSUPPORTED_VERSION from the envelope. The decrypted bytes are zeroed.
 */
export async function unwrapShare(
  wrapped: string,
  identities: (string | Secret<string>)[],
  opts?: OpenEnvelopeOptions & { passphrases?: readonly string[] },
): Promise<OpenedEnvelope> {
  if (typeof wrapped !== 'string') throw invalidArgument('wrappedKeyShare', 'must be an armored age file');
  const plaintext = await unwrap(wrapped, opts?.passphrases ? { identities, passphrases: opts.passphrases } : { identities });
  try {
    return openEnvelope(plaintext, opts?.trustedExporterKeys ? { trustedExporterKeys: opts.trustedExporterKeys } : undefined);
  } finally {
    plaintext.fill(0);
  }
}
