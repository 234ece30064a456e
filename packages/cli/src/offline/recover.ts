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
  /** The share epoch of every file (0 when made, one more after each refresh). */
  epoch: number;
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
 * Shares of two epochs never combine (a refresh re-randomises every share), so
 * a mix is refused by name before any algebra, and so is a set older than the
 * key's current epoch when the caller knows it (`wr backups list` shows it):
 * SHARE_STALE, naming the epochs and the files.
 */
function checkEpochs(opened: { file: string; env: OpenedEnvelope }[], currentEpoch: number | undefined): void {
  const byEpoch = new Map<number, string[]>();
  for (const o of opened) byEpoch.set(o.env.epoch, [...(byEpoch.get(o.env.epoch) ?? []), o.file]);
  const epochs = [...byEpoch.keys()].sort((a, b) => a - b);
  if (epochs.length > 1) {
    const newest = epochs[epochs.length - 1]!;
    throw new WrError(
      'SHARE_STALE',
      `these wrapped shares are of different epochs (${epochs.map((e) => `epoch ${e}: ${byEpoch.get(e)!.join(', ')}`).join('; ')}); ` +
        `shares of different epochs do not combine: pass threshold-many shares of epoch ${newest} only (wr backups list --out-dir writes the latest set)`,
      { param: 'files' },
    );
  }
  const epoch = epochs[0]!;
  if (currentEpoch !== undefined && epoch < currentEpoch) {
    throw new WrError(
      'SHARE_STALE',
      `these wrapped shares are of epoch ${epoch}, but the key is at epoch ${currentEpoch}: they were replaced by a refresh; ` +
        `recover from the latest backups (wr backups list PUBLIC_KEY --out-dir DIR)`,
      { param: 'files' },
    );
  }
  if (currentEpoch !== undefined && epoch > currentEpoch) {
    throw new WrError('INVALID_ARGUMENT', `these wrapped shares are of epoch ${epoch}, newer than the --epoch ${currentEpoch} given`, { param: 'epoch' });
  }
}

/**
 * Rebuilds a key's group secret, offline, from threshold-many wrapped shares
 * of it. Every share is fully checked (signature, key algebra) and the result
 * is proven by secret × G = group public key (recoverGroupSecret). Signing
 * shares are destroyed before this returns.
 */
export async function recoverFromWrappedShares(
  files: WrappedShareFile[],
  identities: Secret<string>[],
  trustedExporterKeys?: string[],
  opts: { currentEpoch?: number } = {},
): Promise<RecoveredKey> {
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
    checkEpochs(opened, opts.currentEpoch);
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
      epoch: first.env.epoch,
      used: used.map((o) => ({ file: o.file, identifier: o.env.secret.identifier, source: { ...o.env.source } })),
      duplicates,
      secret,
    };
  } finally {
    for (const o of opened) o.env.secret.signingShare.destroy();
  }
}
