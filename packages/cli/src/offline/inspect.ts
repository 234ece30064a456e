import { unwrap } from '@wr/age';
import type { Secret } from '@wr/common';
import { checkEnvelope, describeEnvelope, openEnvelope, type CheckResult, type EnvelopeDescription } from '@wr/crypto';

export interface InspectReport {
  /** Every check the envelope went through, in order, as import runs them. */
  checks: (CheckResult & { code?: string })[];
  ok: boolean;
  /** The public parts (no signing share); present when every check passed. */
  envelope?: EnvelopeDescription;
}

/**
 * Decrypts a wrapped share locally and checks its envelope, with no network.
 * Throws NO_IDENTITY_MATCH / WRAPPED_SHARE_CORRUPT when age cannot open it.
 * The plaintext and the signing share are zeroed before this returns; the
 * report holds no secret.
 */
export async function inspectWrappedShare(file: Uint8Array, identities: Secret<string>[], trustedExporterKeys?: string[]): Promise<InspectReport> {
  const opts = trustedExporterKeys && trustedExporterKeys.length > 0 ? { trustedExporterKeys } : {};
  const plaintext = await unwrap(file, { identities });
  try {
    const checks = checkEnvelope(plaintext, opts);
    const ok = checks.length > 0 && checks.every((c) => c.ok);
    if (!ok) return { checks, ok };
    const opened = openEnvelope(plaintext, opts);
    try {
      return { checks, ok, envelope: describeEnvelope(opened) };
    } finally {
      opened.secret.signingShare.destroy();
    }
  } finally {
    plaintext.fill(0);
  }
}
