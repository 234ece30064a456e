import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WrError } from '@wr/common';

export const MIGRATION_STATE_VERSION = 1;

/** What became of one source share. `done`: imported on the target as `newKeyId`. */
export interface ShareRecord {
  status: 'done' | 'failed';
  newKeyId?: string;
  publicKey?: string;
  identifier?: string;
  movedAt?: string;
  /** The moved share signed, with another share of its key, a signature that verifies. */
  verified?: boolean;
  sourceDeleted?: boolean;
  /** How many moves of this share failed: a new attempt is a new call, never a replay of the failed one. */
  moveFailures?: number;
  /** The last failure (of the move, the signing check or the deletion). */
  error?: { stage: 'move' | 'verify' | 'delete'; code: string; message: string };
}

export interface MigrationState {
  version: typeof MIGRATION_STATE_VERSION;
  from: string;
  to: string;
  createdAt: string;
  updatedAt: string;
  /** By source keyId. */
  shares: Record<string, ShareRecord>;
}

/** The default state file, in the current folder: one per source and target. */
export function defaultStatePath(from: string, to: string): string {
  return join('.wr', `migrate-${from}-${to}.json`);
}

/**
 * A migration's progress on disk, so that a run that was interrupted picks up
 * where it stopped. Every change is written at once, atomically (a temporary
 * file, fsync, rename): after a kill the file holds either the state before a
 * share's change or after it, never half.
 */
export class MigrationStateFile {
  private constructor(
    readonly path: string,
    readonly state: MigrationState,
  ) {}

  /** Opens the state of a migration from `from` to `to`, or starts one. */
  static open(path: string, from: string, to: string): MigrationStateFile {
    if (!existsSync(path)) {
      const now = new Date().toISOString();
      const file = new MigrationStateFile(path, { version: MIGRATION_STATE_VERSION, from, to, createdAt: now, updatedAt: now, shares: {} });
      file.save();
      return file;
    }
    let state: MigrationState;
    try {
      state = JSON.parse(readFileSync(path, 'utf8')) as MigrationState;
    } catch (err) {
      throw new WrError('INVALID_ARGUMENT', `--state: ${path} is not readable JSON (${(err as Error).message}): move it away to start over`, {
        param: 'state',
      });
    }
    if (state?.version !== MIGRATION_STATE_VERSION || typeof state.shares !== 'object' || state.shares === null) {
      throw new WrError(
        'INVALID_ARGUMENT',
        `--state: ${path} is not a wr migrate state file (version ${MIGRATION_STATE_VERSION}): move it away to start over`,
        { param: 'state' },
      );
    }
    if (state.from !== from || state.to !== to) {
      throw new WrError(
        'INVALID_ARGUMENT',
        `--state: ${path} records a migration from ${state.from} to ${state.to}, not ${from} to ${to}: pass another --state file`,
        { param: 'state' },
      );
    }
    return new MigrationStateFile(path, state);
  }

  get(keyId: string): ShareRecord | undefined {
    return this.state.shares[keyId];
  }

  /** Records a share's new state and writes the file. */
  update(keyId: string, change: Partial<ShareRecord> & { status?: ShareRecord['status'] }, clearError = false): ShareRecord {
    const prev = this.state.shares[keyId];
    const next = { ...prev, ...change } as ShareRecord;
    if (clearError) delete next.error;
    this.state.shares[keyId] = next;
    this.save();
    return next;
  }

  /** Records many shares' new states and writes the file once (a batch that landed together). */
  updateMany(changes: [keyId: string, change: Partial<ShareRecord>][], clearError = false): void {
    for (const [keyId, change] of changes) {
      const next = { ...this.state.shares[keyId], ...change } as ShareRecord;
      if (clearError) delete next.error;
      this.state.shares[keyId] = next;
    }
    if (changes.length > 0) this.save();
  }

  save(): void {
    this.state.updatedAt = new Date().toISOString();
    const tmp = `${this.path}.tmp`;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'w', 0o600);
    try {
      const data = Buffer.from(JSON.stringify(this.state, null, 2) + '\n');
      for (let off = 0; off < data.length;) off += writeSync(fd, data, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}
