import { unwrap } from '@wr/age';
import { WrError, type Secret } from '@wr/common';
import { openEnvelope, recoverGroupSecret, type OpenedEnvelope } from '@wr/crypto';

export interface WrappedShareFile {
  name: string;
  bytes: Uint8Array;
}

export interface RecoveredKey {
  scheme: string;
  groupPublicKey: string;
  minSigners: number;
  maxSigners: number;
  /** The shares the key was rebuilt from: file, participant identifier, where it was exported. */
  used: { file: string; identifier: string; source: { nodeId: string; keyId: string } }[];
  /** Files holding a participant already used (the same share twice). */
  duplicates: string[];
  /** The group secret scalar. The caller writes it where it was told and destroys it. */
  secret: Secret<Uint8Array>;
}

/** The same error, with the file it is about in front of the message. */
function aboutFile(err: unknown, file: string): unknown {
  if (!(err instanceof WrError)) return err;
  return new WrError(err.code, `${file}: ${err.message}`, { ...(err.param ? { param: err.param } : {}), cause: err });
}

async function openFile(f: WrappedShareFile, identities: Secret<string>[], trustedExporterKeys: string[] | undefined): Promise<OpenedEnvelope> {
  let plaintext: Uint8Array | undefined;
  try {
    // Every identity is offered for every file: shares may be wrapped to different holders.
    plaintext = await unwrap(f.bytes, { identities });
    return openEnvelope(plaintext, trustedExporterKeys && trustedExporterKeys.length > 0 ? { trustedExporterKeys } : undefined);
  } catch (err) {
    throw aboutFile(err, f.name);
  } finally {
    plaintext?.fill(0);
  }
}

/**
 * Rebuilds a key's group secret, offline, from threshold-many wrapped shares
 * of it. Every share is fully checked (signature, key algebra) and the result
 * is proven by secret × G = group public key (recoverGroupSecret). Signing
 * shares are destroyed before this returns.
 */
export async function recoverFromWrappedShares(files: WrappedShareFile[], identities: Secret<string>[], trustedExporterKeys?: string[]): Promise<RecoveredKey> {
  const opened: { file: string; env: OpenedEnvelope }[] = [];
  try {
    for (const f of files) opened.push({ file: f.name, env: await openFile(f, identities, trustedExporterKeys) });
    const first = opened[0]!;
    const key = first.env.public;
    for (const o of opened) {
      if (o.env.public.groupPublicKey !== key.groupPublicKey) {
        throw new WrError(
          'INVALID_ARGUMENT',
          `${o.file} is a share of another key than ${first.file} (group public keys differ): pass shares of one key only`,
          { param: 'files' },
        );
      }
    }
    const distinct = new Map<string, { file: string; env: OpenedEnvelope }>();
    const duplicates: string[] = [];
    for (const o of opened) {
      if (distinct.has(o.env.secret.identifier)) duplicates.push(o.file);
      else distinct.set(o.env.secret.identifier, o);
    }
    if (distinct.size < key.minSigners) {
      throw new WrError(
        'INVALID_ARGUMENT',
        `this key needs ${key.minSigners} distinct shares to recover, got ` +
          `${distinct.size}${duplicates.length ? ` (${duplicates.join(', ')} repeat a share)` : ''}: pass more wrapped share files`,
        { param: 'files' },
      );
    }
    const used = [...distinct.values()];
    const secret = recoverGroupSecret(used.map((o) => ({ public: o.env.public, secret: o.env.secret })));
    return {
      scheme: key.scheme,
      groupPublicKey: key.groupPublicKey,
      minSigners: key.minSigners,
      maxSigners: key.maxSigners,
      used: used.map((o) => ({ file: o.file, identifier: o.env.secret.identifier, source: { ...o.env.source } })),
      duplicates,
      secret,
    };
  } finally {
    for (const o of opened) o.env.secret.signingShare.destroy();
  }
}
