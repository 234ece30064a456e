import { createHash } from 'node:crypto';
import { WrError, codeOf, isErrorCode } from '@wr/common';
import { ComponentModule, LIMITS, type ComponentResult, type WorkspaceClient } from 'caller-sdk';
import { runPool } from './pool.js';
import type { MigrationProgress } from './progress.js';
import { checkSigns } from './signing-check.js';
import { MigrationStateFile, type ShareRecord } from './state.js';

type KeyInfo = ComponentResult<'GET_KEY'>;

export interface MigrateOptions {
  from: string;
  to: string;
  /** Only these source shares (default: every share on `from`, and every one the state file lists). */
  keyIds?: string[];
  concurrency: number;
  deleteSource: boolean;
  statePath: string;
}

export interface ShareFailure {
  keyId: string;
  stage: 'move' | 'verify' | 'delete';
  code: string;
  message: string;
}

/** A share left where it is, on purpose: not a failure, and a rerun leaves it again. */
export interface SkippedShare {
  keyId: string;
  code: 'NOT_EXPORTABLE';
  message: string;
}

export interface MigrationSummary {
  from: string;
  to: string;
  stateFile: string;
  /** moved + alreadyMoved + failed + skipped. */
  shares: number;
  moved: number;
  alreadyMoved: number;
  failed: number;
  /** Shares created with exportable: false: they never leave their node, so they stay on `from`. */
  skipped: number;
  /** The whole run, in seconds. */
  elapsedSeconds: number;
  /** The moving phase, in seconds; sharesPerSecond is the shares this run moved over it. */
  moveSeconds: number;
  sharesPerSecond: number;
  /** Moved shares (by this run or before) proven to sign; and those that did not. */
  verified: number;
  verifyFailed: number;
  sourceDeleted: number;
  failures: ShareFailure[];
  skippedShares: SkippedShare[];
}

/** Idempotency keys fixed per share and step: a rerun after a kill replays, never repeats. */
export function idempotencyKey(from: string, to: string, keyId: string, step: 'export' | 'import' | 'delete'): string {
  return `migrate:${from}:${to}:${keyId}:${step}`;
}

/**
 * Idempotency keys fixed per batch of shares, step and attempt: a rerun after a kill replays the batch; a rerun after
 * its shares failed (a batch answers per-share failures inside its result, which the workspace keeps) tries them anew.
 */
export function batchIdempotencyKey(from: string, to: string, keyIds: readonly string[], step: 'export' | 'import', state: MigrationStateFile): string {
  const attempts = keyIds.map((k) => `${k}#${state.get(k)?.moveFailures ?? 0}`);
  const digest = createHash('sha256').update(attempts.join('\n')).digest('hex').slice(0, 32);
  return `migrate:${from}:${to}:batch-${digest}:${step}`;
}

/** A batch item's error as the error its single call would have thrown. */
const itemFailure = (e: { code: string; message: string } | undefined) =>
  new WrError(e && isErrorCode(e.code) ? e.code : 'INTERNAL', e?.message ?? 'the workspace answered no result for this share');

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Every share one node holds, page by page. */
async function allKeys(client: WorkspaceClient, nodeId: string): Promise<KeyInfo[]> {
  const keys: KeyInfo[] = [];
  for await (const page of client.pages(ComponentModule.LIST_KEYS, { nodeId, limit: LIMITS.pageMax })) keys.push(...page.keys);
  return keys;
}

/** The source node's shares: all of them, or only the named ones (looked up one by one: listing a big node is slow). */
async function sourceShares(client: WorkspaceClient, from: string, keyIds: string[] | undefined): Promise<Map<string, KeyInfo>> {
  if (!keyIds) return new Map((await allKeys(client, from)).map((k) => [k.keyId, k]));
  const found = new Map<string, KeyInfo>();
  await runPool([...new Set(keyIds)], 8, async (keyId) => {
    try {
      const k = await client.call(ComponentModule.GET_KEY, { keyId }).promise();
      if (k.nodeId === from) found.set(keyId, k);
    } catch (err) {
      if (codeOf(err) !== 'NOT_FOUND') throw err;
    }
  });
  return found;
}

/** Every share on every node but `from`: where co-signers for the signing check come from. */
async function sharesOutside(client: WorkspaceClient, from: string): Promise<KeyInfo[]> {
  const { nodes } = await client.call(ComponentModule.LIST_NODES, {}).promise();
  // Every other node, whatever LIST_NODES said of it a moment ago (a node back from a partition may have been down then).
  const lists = await Promise.all(nodes.filter((n) => n.nodeId !== from).map((n) => allKeys(client, n.nodeId)));
  return lists.flat();
}

/** What the steps of one run share. */
interface Run {
  client: WorkspaceClient;
  opts: MigrateOptions;
  state: MigrationStateFile;
  progress: MigrationProgress;
  failures: ShareFailure[];
  skipped: SkippedShare[];
}

function recordFailure(run: Run, keyId: string, stage: ShareFailure['stage'], err: unknown): ShareFailure {
  const failure = { keyId, stage, code: codeOf(err), message: messageOf(err) };
  run.failures.push(failure);
  const moveFailures = (run.state.get(keyId)?.moveFailures ?? 0) + (stage === 'move' ? 1 : 0);
  run.state.update(keyId, {
    ...(stage === 'move' ? { status: 'failed' as const, moveFailures } : {}),
    error: { stage, code: failure.code, message: failure.message },
  });
  return failure;
}

const notExportableNote = (keyId: string, from: string) => `${keyId} was created with exportable: false; it never leaves ${from}, so it stays there`;

/**
 * EXPORT to the target's recipient, IMPORT there, record: in batches (EXPORT_KEY_SHARES, IMPORT_KEY_SHARES), each
 * share succeeding or failing on its own. Returns how many moved. A share that may not be exported is skipped, not
 * failed, and not recorded: every rerun skips it again.
 */
async function moveShares(run: Run, keyIds: string[], onSource: Map<string, KeyInfo>, recipientKey: string): Promise<number> {
  const { client, opts, state, progress } = run;
  const { from, to } = opts;
  let moved = 0;
  progress.phase(`moving ${from} → ${to}`, keyIds.length);
  const skip = (keyId: string, settled?: Set<string>) => {
    settled?.add(keyId);
    run.skipped.push({ keyId, code: 'NOT_EXPORTABLE', message: notExportableNote(keyId, from) });
    progress.step(`skipped ${keyId}: ${notExportableNote(keyId, from)}`, true);
  };
  const fail = (keyId: string, err: unknown, settled?: Set<string>) => {
    settled?.add(keyId);
    const f = recordFailure(run, keyId, 'move', err);
    progress.step(`failed to move ${keyId}: ${f.code}: ${f.message}`, false);
  };
  // Enough batches to keep `concurrency` in flight, each within the batch limit.
  const size = Math.max(1, Math.min(LIMITS.batchItems, Math.ceil(keyIds.length / opts.concurrency)));
  const batches = Array.from({ length: Math.ceil(keyIds.length / size) }, (_, i) => keyIds.slice(i * size, (i + 1) * size));
  await runPool(batches, opts.concurrency, async (batch) => {
    // Shares of this batch already counted (moved, skipped or failed): a failure of the whole batch is the others'.
    const settled = new Set<string>();
    const movable = batch.filter((keyId) => {
      const info = onSource.get(keyId);
      if (!info) fail(keyId, new WrError('NOT_FOUND', `${keyId} is not a share on ${from}`));
      else if (!info.exportable) skip(keyId);
      return info?.exportable;
    });
    if (movable.length === 0) return;
    try {
      const exported = await client
        .call(
          ComponentModule.EXPORT_KEY_SHARES,
          { items: movable.map((keyId) => ({ keyId, ageRecipient: recipientKey })) },
          { idempotencyKey: batchIdempotencyKey(from, to, movable, 'export', state) },
        )
        .promise();
      const wrapped: { keyId: string; wrappedKeyShare: string }[] = [];
      for (const r of exported.results) {
        if (r.ok && r.wrappedKeyShare) wrapped.push({ keyId: r.keyId, wrappedKeyShare: r.wrappedKeyShare });
        else if (r.error?.code === 'NOT_EXPORTABLE') skip(r.keyId, settled);
        else fail(r.keyId, itemFailure(r.error), settled);
      }
      if (wrapped.length === 0) return;
      const imported = await client
        .call(
          ComponentModule.IMPORT_KEY_SHARES,
          { items: wrapped.map((w) => ({ wrappedKeyShare: w.wrappedKeyShare, nodeId: to })) },
          {
            idempotencyKey: batchIdempotencyKey(
              from,
              to,
              wrapped.map((w) => w.keyId),
              'import',
              state,
            ),
          },
        )
        .promise();
      const landed: [string, Partial<ShareRecord>][] = [];
      imported.results.forEach((r, i) => {
        const { keyId } = wrapped[i]!;
        if (!r.ok) return fail(keyId, itemFailure(r.error), settled);
        landed.push([keyId, { status: 'done', newKeyId: r.keyId!, publicKey: r.publicKey!, identifier: r.identifier!, movedAt: new Date().toISOString() }]);
      });
      // One write of the state file for the batch: it holds the batch before or after, never half.
      state.updateMany(landed, true);
      for (const [keyId, record] of landed) {
        settled.add(keyId);
        moved++;
        progress.step(`moved ${keyId} → ${record.newKeyId}`, true);
      }
    } catch (err) {
      // The whole batch failed (workspace down, refused): each of its shares is a failure a rerun retries.
      for (const keyId of movable) if (!settled.has(keyId)) fail(keyId, err);
    }
  });
  progress.stop();
  return moved;
}

/** The signing check of each moved share, then (with deleteSource) deleting its source share. */
async function checkAndDelete(run: Run, keyIds: string[]): Promise<void> {
  const { client, opts, state, progress } = run;
  const { from, to } = opts;
  const outside = await sharesOutside(client, from);
  const byKeyId = new Map(outside.map((k) => [k.keyId, k]));
  const byPublicKey = new Map<string, KeyInfo[]>();
  for (const k of outside) byPublicKey.set(k.publicKey, [...(byPublicKey.get(k.publicKey) ?? []), k]);

  progress.phase(opts.deleteSource ? 'check + delete' : 'signing check', keyIds.length);
  await runPool(keyIds, opts.concurrency, async (keyId) => {
    let record: ShareRecord = state.get(keyId)!;
    try {
      if (!record.verified) {
        const movedShare = byKeyId.get(record.newKeyId!);
        if (!movedShare) throw new WrError('NOT_FOUND', `the moved share ${record.newKeyId} is not on ${to} any more`);
        await checkSigns(client, movedShare, byPublicKey.get(movedShare.publicKey) ?? [], from);
        record = state.update(keyId, { verified: true }, true);
      }
    } catch (err) {
      const f = recordFailure(run, keyId, 'verify', err);
      return progress.step(`${record.newKeyId} (from ${keyId}) does not sign: ${f.code}: ${f.message}`, false);
    }
    if (!opts.deleteSource || record.sourceDeleted) return progress.step(`${record.newKeyId} (from ${keyId}) signs`, true);
    try {
      await client.call(ComponentModule.DELETE_KEY_SHARE, { keyId }, { idempotencyKey: idempotencyKey(from, to, keyId, 'delete') }).promise();
    } catch (err) {
      if (codeOf(err) !== 'NOT_FOUND') {
        const f = recordFailure(run, keyId, 'delete', err);
        return progress.step(`could not delete ${keyId} from ${from}: ${f.code}: ${f.message}`, false);
      }
    }
    state.update(keyId, { sourceDeleted: true }, true);
    progress.step(`${record.newKeyId} signs; deleted ${keyId} from ${from}`, true);
  });
  progress.stop();
}

/**
 * Moves key shares from one node to another: EXPORT wrapped to the target's
 * recipient, IMPORT on the target, each share recorded in the state file as
 * it lands. Then proves every moved share signs, and with `deleteSource`
 * deletes the source share of each one that does. Safe to run again after an
 * interruption: finished shares are skipped, and the others replay their
 * idempotent calls.
 */
export async function runMigration(client: WorkspaceClient, opts: MigrateOptions, progress: MigrationProgress): Promise<MigrationSummary> {
  const { from, to } = opts;
  if (from === to) throw new WrError('INVALID_ARGUMENT', '--from and --to are the same node: name another target', { param: 'to' });
  const startedAt = Date.now();
  // Both nodes are checked before the state file is made: a typo leaves nothing behind.
  const [{ recipientKey }] = await Promise.all([
    client.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: to }).promise(),
    client.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: from }).promise(),
  ]);
  const onSource = await sourceShares(client, from, opts.keyIds);
  const state = MigrationStateFile.open(opts.statePath, from, to);
  const run: Run = { client, opts, state, progress, failures: [], skipped: [] };
  const isDone = (keyId: string) => state.get(keyId)?.status === 'done';
  // Without --key: every share on the source, and every one moved before (its source may be deleted by now).
  const selected = [...new Set(opts.keyIds ?? [...onSource.keys(), ...Object.keys(state.state.shares).filter(isDone)])];
  const alreadyMoved = selected.filter(isDone).length;

  const moveStarted = Date.now();
  const moved = await moveShares(
    run,
    selected.filter((k) => !isDone(k)),
    onSource,
    recipientKey,
  );
  const moveSeconds = (Date.now() - moveStarted) / 1000;

  const pending = selected.filter((k) => {
    const r = state.get(k);
    return r?.status === 'done' && (!r.verified || (opts.deleteSource && !r.sourceDeleted));
  });
  if (pending.length > 0) await checkAndDelete(run, pending);

  const records = selected.map((k) => state.get(k));
  const failed = (stage: ShareFailure['stage']) => run.failures.filter((f) => f.stage === stage).length;
  return {
    from,
    to,
    stateFile: opts.statePath,
    shares: selected.length,
    moved,
    alreadyMoved,
    failed: failed('move'),
    skipped: run.skipped.length,
    elapsedSeconds: (Date.now() - startedAt) / 1000,
    moveSeconds,
    sharesPerSecond: moveSeconds > 0 ? moved / moveSeconds : 0,
    verified: records.filter((r) => r?.verified).length,
    verifyFailed: failed('verify'),
    sourceDeleted: records.filter((r) => r?.sourceDeleted).length,
    failures: run.failures,
    skippedShares: run.skipped,
  };
}
