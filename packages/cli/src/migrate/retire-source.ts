import { WrError, codeOf, fromHex } from '@wr/common';
import { getScheme } from '@wr/crypto';
import { ComponentModule, LIMITS, type ComponentResult, type WorkspaceClient } from 'caller-sdk';
import type { Command } from 'commander';
import { checkFailed } from '../commands/check-failed.js';
import { printResult } from '../commands/context.js';
import { keyValues } from '../commands/render.js';
import { runPool } from './pool.js';
import { failureLines, type MigrationProgress } from './progress.js';
import { checkMessage } from './signing-check.js';

type KeyInfo = ComponentResult<'GET_KEY'>;

export interface RetireSourceOptions {
  from: string;
  to: string;
  /** Only the keys of these source shares (default: every share on `from`). */
  keyIds?: string[];
  concurrency: number;
}

export interface RetireFailure {
  keyId: string;
  publicKey: string;
  stage: 'reshare' | 'verify';
  code: string;
  message: string;
}

export interface RetireSummary {
  from: string;
  to: string;
  mode: 'retire-source';
  /** Source shares considered: moved + failed. */
  shares: number;
  moved: number;
  failed: number;
  /** Moved keys whose new set signs, the target's new share among the signers. */
  verified: number;
  elapsedSeconds: number;
  /** Each key moved: its epoch after the reshare, the retired source share and the target's new one. */
  keys: { publicKey: string; epoch: number; retiredKeyId: string; newKeyId: string }[];
  failures: RetireFailure[];
}

/** One idempotency key per key and move: a rerun after a kill replays the reshare, never runs a second one. */
export function retireIdempotencyKey(from: string, to: string, publicKey: string): string {
  return `migrate-retire:${from}:${to}:${publicKey}`;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Every share on every node, grouped by key. */
async function sharesByKey(client: WorkspaceClient): Promise<Map<string, KeyInfo[]>> {
  const byKey = new Map<string, KeyInfo[]>();
  for await (const page of client.pages(ComponentModule.LIST_KEYS, { limit: LIMITS.pageMax })) {
    if (page.unavailableNodes.length > 0) {
      throw new WrError(
        'NODE_UNAVAILABLE',
        `${page.unavailableNodes.join(', ')} did not answer: every holder takes part in a reshare; run again when every node is up`,
        { retryable: true },
      );
    }
    for (const k of page.keys) byKey.set(k.publicKey, [...(byKey.get(k.publicKey) ?? []), k]);
  }
  return byKey;
}

/**
 * Moves a node's shares by resharing each key (RESHARE_KEY, same threshold,
 * the source node replaced by the target) instead of export and import: the
 * target gets a share of the key's next epoch, the source's share is deleted
 * and tombstoned, and every wrapped copy or backup of the old epoch stops
 * working. Then each key's new set signs a fixed message, the target's share
 * among the signers, checked under the group key here.
 */
export async function runRetireSource(client: WorkspaceClient, opts: RetireSourceOptions, progress: MigrationProgress): Promise<RetireSummary> {
  const started = Date.now();
  const { from, to } = opts;
  if (from === to) throw new WrError('INVALID_ARGUMENT', '--to: the same node as --from', { param: 'to' });
  const byKey = await sharesByKey(client);
  const onSource = [...byKey.values()].flatMap((shares) => shares.filter((s) => s.nodeId === from));
  const wanted = opts.keyIds ? onSource.filter((s) => opts.keyIds!.includes(s.keyId)) : onSource;
  const failures: RetireFailure[] = [];
  const keys: RetireSummary['keys'] = [];
  let verified = 0;
  for (const keyId of opts.keyIds ?? []) {
    if (!wanted.some((s) => s.keyId === keyId)) {
      failures.push({ keyId, publicKey: '', stage: 'reshare', code: 'NOT_FOUND', message: `${keyId} is not a share on ${from}` });
    }
  }
  progress.phase(`resharing ${from} → ${to}`, wanted.length);
  await runPool(wanted, opts.concurrency, async (source) => {
    let stage: RetireFailure['stage'] = 'reshare';
    try {
      const holders = byKey.get(source.publicKey)!.map((s) => s.nodeId);
      if (holders.includes(to)) {
        throw new WrError('CONFLICT', `${to} already holds a share of ${source.publicKey}: a node holds at most one share of a key`);
      }
      const nodeIds = holders.map((n) => (n === from ? to : n));
      const r = await client
        .call(
          ComponentModule.RESHARE_KEY,
          { publicKey: source.publicKey, threshold: source.threshold, nodeIds },
          { idempotencyKey: retireIdempotencyKey(from, to, source.publicKey) },
        )
        .promise();
      const mine = r.shares.find((s) => s.nodeId === to);
      if (!mine) throw new WrError('INTERNAL', `the reshare of ${source.publicKey} put no share on ${to}`);
      keys.push({ publicKey: source.publicKey, epoch: r.epoch, retiredKeyId: source.keyId, newKeyId: mine.keyId });
      stage = 'verify';
      const signers = [mine, ...r.shares.filter((s) => s.nodeId !== to)].slice(0, source.threshold);
      const message = checkMessage(mine.keyId);
      const { signature } = await client.call(ComponentModule.SIGN, { keyIds: signers.map((s) => s.keyId), message }).promise();
      if (!getScheme(source.scheme).verify(fromHex(signature, 'signature'), fromHex(message, 'message'), fromHex(source.publicKey, 'publicKey'))) {
        throw new WrError('SHARE_INVALID', `the signature made with ${mine.keyId} does not verify under its group public key`);
      }
      verified++;
      progress.step(`reshared ${source.publicKey.slice(0, 16)}…: ${source.keyId} retired, ${mine.keyId} on ${to}`, true);
    } catch (err) {
      failures.push({ keyId: source.keyId, publicKey: source.publicKey, stage, code: codeOf(err), message: messageOf(err) });
      progress.step(`${source.keyId}: ${codeOf(err)}`, false);
    }
  });
  progress.stop();
  return {
    from,
    to,
    mode: 'retire-source',
    shares: wanted.length,
    moved: keys.length,
    failed: failures.filter((f) => f.stage === 'reshare').length,
    verified,
    elapsedSeconds: (Date.now() - started) / 1000,
    keys,
    failures,
  };
}

function summaryText(s: RetireSummary): string {
  const lines = [
    `migrate ${s.from} → ${s.to} by reshare (--retire-source)`,
    keyValues(
      [
        ['shares', String(s.shares)],
        ['moved', `${s.moved} (each key at its next epoch; the share on ${s.from} deleted, its old copies and backups refused)`],
        ['failed', String(s.failed)],
        ['signing check', `${s.verified} of ${s.moved} keys sign with the share on ${s.to}`],
        ['elapsed', `${s.elapsedSeconds.toFixed(1)} s`],
      ],
      '  ',
    ).trimEnd(),
  ];
  return [...lines, ...failureLines(s.failures)].join('\n') + '\n';
}

/** `wr migrate --retire-source`: its own path beside export and import; a key that did not move and sign exits with CHECK_FAILED_EXIT. */
export async function retireSourceAction(
  cmd: Command,
  client: WorkspaceClient,
  opts: { from: string; to: string; key?: string[]; concurrency: number; state?: string; deleteSource?: boolean },
  progress: MigrationProgress,
): Promise<void> {
  if (opts.deleteSource || opts.state) {
    throw new WrError('INVALID_ARGUMENT', '--retire-source: leave out --delete-source and --state (a reshare retires the source shares itself)');
  }
  const r = await runRetireSource(client, { from: opts.from, to: opts.to, ...(opts.key ? { keyIds: opts.key } : {}), concurrency: opts.concurrency }, progress);
  printResult(cmd, r, () => summaryText(r));
  if (r.failures.length > 0) {
    checkFailed(
      `${r.failures.length} share${r.failures.length === 1 ? '' : 's'} did not finish (see failures above)`,
      'Fix the cause (a holder down...), then run the same command again: finished keys are replayed, not reshared again.',
    );
  }
}
