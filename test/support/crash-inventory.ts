/**
 * What the nodes hold, what they should hold, and proofs that a share is whole:
 * shared by the crash and concurrency tests.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generateIdentity, unwrap } from '@wr/age';
import { openEnvelope } from '@wr/crypto';
import { ComponentModule, ERROR_CODES, WorkspaceError, type ComponentResult, type WorkspaceClient } from 'caller-sdk';
import { ed25519Verify } from './verify.js';

export type KeyInfo = ComponentResult<'LIST_KEYS'>['keys'][number];

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const randomInt = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

/** The registry code a failed call reported, or a description starting with UNCODED. */
export function failureCode(err: unknown): string {
  if (err instanceof WorkspaceError && Object.prototype.hasOwnProperty.call(ERROR_CODES, err.code)) return err.code;
  const e = err as { name?: string; message?: string; code?: unknown };
  return `UNCODED ${e?.name ?? typeof err}${e?.code ? ` (${String(e.code)})` : ''}: ${e?.message ?? String(err)}`;
}

/** One place a share can take on a node: its key and participant identifier. */
export const slotOf = (s: { publicKey: string; identifier: string }) => `${s.publicKey}/${s.identifier}`;

/**
 * The shares each node holds, asked of each node on its own: LIST_KEYS with a
 * nodeId fails if that node is down, where the all-nodes form would skip it.
 */
export async function holdings(client: WorkspaceClient, nodeIds: readonly string[]): Promise<Map<string, KeyInfo[]>> {
  const lists = await Promise.all(
    nodeIds.map(async (nodeId) => [nodeId, (await client.call(ComponentModule.LIST_KEYS, { nodeId, limit: 1000 }).promise()).keys] as const),
  );
  return new Map(lists);
}

export interface Diff {
  /** Shares a call reported (created or imported) that the node no longer holds. */
  lost: string[];
  /** Shares no completed call accounts for: orphans of a failed or abandoned call. */
  orphans: KeyInfo[];
  /** Two shares with the same key and identifier on one node. */
  duplicates: string[];
}

/** What each node should hold, slot (key + identifier) → keyId, built from what calls reported. */
export class Ledger {
  readonly #nodes = new Map<string, Map<string, string>>();

  constructor(nodeIds: readonly string[]) {
    for (const n of nodeIds) this.#nodes.set(n, new Map());
  }

  #on(nodeId: string): Map<string, string> {
    const m = this.#nodes.get(nodeId);
    if (!m) throw new Error(`no node ${nodeId} in the ledger`);
    return m;
  }

  /** Records a share a call reported. A second keyId for the same slot is a duplicate: it throws. */
  add(nodeId: string, share: { publicKey: string; identifier: string; keyId: string }): void {
    const m = this.#on(nodeId);
    const had = m.get(slotOf(share));
    if (had !== undefined && had !== share.keyId) throw new Error(`${nodeId} reported a second share ${share.keyId} for ${slotOf(share)} (first ${had})`);
    m.set(slotOf(share), share.keyId);
  }

  has(nodeId: string, slot: string): boolean {
    return this.#on(nodeId).has(slot);
  }

  keyIdAt(nodeId: string, slot: string): string | undefined {
    return this.#on(nodeId).get(slot);
  }

  remove(nodeId: string, keyId: string): void {
    const m = this.#on(nodeId);
    for (const [slot, k] of m) if (k === keyId) m.delete(slot);
  }

  count(nodeId: string): number {
    return this.#on(nodeId).size;
  }

  diff(actual: Map<string, KeyInfo[]>): Diff {
    const out: Diff = { lost: [], orphans: [], duplicates: [] };
    for (const [nodeId, expected] of this.#nodes) {
      const held = actual.get(nodeId) ?? [];
      const bySlot = new Map<string, KeyInfo[]>();
      for (const s of held) bySlot.set(slotOf(s), [...(bySlot.get(slotOf(s)) ?? []), s]);
      for (const [slot, list] of bySlot) {
        if (list.length > 1) out.duplicates.push(`${nodeId} holds ${list.length} shares for ${slot}: ${list.map((s) => s.keyId).join(', ')}`);
        for (const s of list) if (expected.get(slot) !== s.keyId) out.orphans.push(s);
      }
      for (const [slot, keyId] of expected) {
        if (!bySlot.get(slot)?.some((s) => s.keyId === keyId)) out.lost.push(`${nodeId} lost ${keyId} (${slot})`);
      }
    }
    return out;
  }
}

/** Describes a diff for an assertion message; empty when there is nothing wrong. */
export function describeDiff(d: Diff): string[] {
  return [
    ...d.lost,
    ...d.duplicates,
    ...d.orphans.map(
      (o) =>
        `${o.nodeId} holds an orphan share ${o.keyId} (key ${o.publicKey.slice(0, 12)}…,` +
        ` identifier ${o.identifier.slice(0, 4)}…) that no completed call reported`,
    ),
  ];
}

/** Signs with the given shares (a quorum) and checks the signature with node:crypto's Ed25519. */
export async function provesSigning(client: WorkspaceClient, keyIds: string[], publicKey: string): Promise<void> {
  const message = randomBytes(16).toString('hex');
  const r = await client.call(ComponentModule.SIGN, { keyIds, message }).promise();
  assert.equal(r.publicKey, publicKey, `SIGN with ${keyIds.join(', ')}: another key`);
  assert.ok(ed25519Verify(publicKey, message, r.signature), `SIGN with ${keyIds.join(', ')}: the signature does not verify`);
}

export interface Escrow {
  identity: string;
  recipient: string;
}

export async function newEscrow(): Promise<Escrow> {
  const g = await generateIdentity('x25519');
  return { identity: g.identity.expose(), recipient: g.recipient };
}

/** Opens a wrapped share with an escrow identity; checks it is the share named (identifier, keyId) and that it passes every envelope check. */
export async function checkWrapped(wrapped: string, escrow: Escrow, share: { keyId: string; identifier: string }): Promise<void> {
  const opened = openEnvelope(await unwrap(wrapped, { identities: [escrow.identity] }));
  try {
    assert.equal(opened.secret.identifier, share.identifier, `export of ${share.keyId}: another identifier`);
    assert.equal(opened.source.keyId, share.keyId, `export of ${share.keyId}: another source keyId`);
  } finally {
    opened.secret.signingShare.destroy();
  }
}

/** Exports a share to an escrow identity, opens it, and checks it. */
export async function provesExport(client: WorkspaceClient, share: { keyId: string; identifier: string }, escrow: Escrow): Promise<void> {
  const { wrappedKeyShare } = await client.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: share.keyId, ageRecipient: escrow.recipient }).promise();
  await checkWrapped(wrappedKeyShare, escrow, share);
}

/** Runs tasks with at most `n` at once. */
export async function inBatches<T>(items: readonly T[], n: number, task: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += n) await Promise.all(items.slice(i, i + n).map(task));
}
