import { firstDuplicate, itemError, type ComponentResult, type ItemError } from '@wr/api';
import { WrError, isErrorCode } from '@wr/common';
import { signedBody } from '../context.js';
import type { NodeClient } from '../node-client.js';
import type { Handlers } from './types.js';

type ExportResult = ComponentResult<'EXPORT_KEY_SHARES'>['results'][number];
type ImportResult = ComponentResult<'IMPORT_KEY_SHARES'>['results'][number];

const asList = (r: string | string[]) => (Array.isArray(r) ? r : [r]);

/** An item error a node answered, with a code of the registry (else INTERNAL). */
const fromNode = (error: ItemError | undefined): ItemError =>
  error && isErrorCode(error.code) ? error : { code: 'INTERNAL', message: 'the node answered this item without a result: retry it' };

/** The items a node answered, only among those it was sent. */
const answered = <R extends { index: number }>(results: R[], sent: number[]): R[] => results.filter((r) => sent.includes(r.index));

/** A node's per-item results; a node that fails as a whole (down, busy) fails each of its items with its code. */
async function nodeAnswer<R>(answer: Promise<{ results: R[] }>, indexes: number[], fail: (index: number, error: ItemError) => void): Promise<R[]> {
  try {
    return (await answer).results;
  } catch (err) {
    for (const index of indexes) fail(index, itemError(err));
    return [];
  }
}

/** An item no node answered (it was sent, the answer left it out). */
const unanswered: ItemError = { code: 'NODE_UNAVAILABLE', message: 'the node did not answer this item: retry it' };

function refuseDuplicates(keys: string[], what: string): void {
  const dup = firstDuplicate(keys);
  if (dup >= 0) throw new WrError('INVALID_ARGUMENT', `items[${dup}]: repeats the ${what} of an earlier item: name each once`, { param: 'items' });
}

/** Items grouped by the node that does them: one request per node, all in parallel. */
function byNode(entries: { index: number; client: NodeClient }[]): Map<NodeClient, number[]> {
  const groups = new Map<NodeClient, number[]>();
  for (const e of entries) groups.set(e.client, [...(groups.get(e.client) ?? []), e.index]);
  return groups;
}

/**
 * EXPORT_KEY_SHARES and IMPORT_KEY_SHARES: the caller's one signed call, sent
 * to each node that holds items of it with the indexes of those items. Every
 * item is answered on its own; a node that fails as a whole (down, busy)
 * fails only its own items, with its code.
 */
export const batchComponents: Pick<Handlers, 'EXPORT_KEY_SHARES' | 'IMPORT_KEY_SHARES'> = {
  async EXPORT_KEY_SHARES(ws, call, p) {
    refuseDuplicates(
      p.items.map((i) => i.keyId),
      'keyId',
    );
    const results: ExportResult[] = p.items.map((i) => ({ keyId: i.keyId, ok: false, error: unanswered }));
    const fail = (index: number, error: ItemError) => (results[index] = { keyId: p.items[index]!.keyId, ok: false, error });
    const located = await Promise.all(
      p.items.map(async (item, index) => {
        try {
          const { client, share } = await ws.network.locate(item.keyId);
          if (!share.exportable) throw new WrError('NOT_EXPORTABLE', `key share ${item.keyId} was created with exportable: false; it never leaves its node`);
          return [{ index, client, share }];
        } catch (err) {
          fail(index, itemError(err));
          return [];
        }
      }),
    );
    const shares = new Map(located.flat().map((l) => [l.index, l.share]));
    await Promise.all(
      [...byNode(located.flat())].map(async ([client, indexes]) => {
        const r = await nodeAnswer(client.call('exportShares', { body: { ...signedBody(call), items: indexes } }, call.requestId), indexes, fail);
        // The items' records are written at once (on SQLite, one group commit for them all), each on its own: a failure
        // recording one (the audit log, say) fails that item only.
        await Promise.all(
          answered(r, indexes).map(async (item) => {
            const { keyId, ageRecipient } = p.items[item.index]!;
            try {
              if (item.error || !item.wrappedKeyShare) {
                // Deleted behind our back: the next lookup asks the nodes again.
                if (item.error?.code === 'NOT_FOUND') await ws.network.forget(keyId);
                fail(item.index, fromNode(item.error));
                return;
              }
              const share = shares.get(item.index)!;
              await ws.audit.append(call.caller.apiKeyId, 'share.export', {
                keyId,
                nodeId: client.nodeId,
                publicKey: share.publicKey,
                identifier: share.identifier,
                recipients: asList(ageRecipient),
              });
              results[item.index] = {
                keyId,
                ok: true,
                nodeId: client.nodeId,
                wrappedKeyShare: item.wrappedKeyShare,
                ...(item.receipt && { receipt: item.receipt }),
              };
            } catch (err) {
              fail(item.index, itemError(err));
            }
          }),
        );
      }),
    );
    return { results };
  },

  async IMPORT_KEY_SHARES(ws, call, p) {
    refuseDuplicates(
      p.items.map((i) => i.wrappedKeyShare),
      'wrappedKeyShare',
    );
    const results: ImportResult[] = p.items.map((i) => ({ nodeId: i.nodeId, ok: false, error: unanswered }));
    const fail = (index: number, error: ItemError) => (results[index] = { nodeId: p.items[index]!.nodeId, ok: false, error });
    const routed = p.items.flatMap((item, index) => {
      try {
        return [{ index, client: ws.network.client(item.nodeId) }];
      } catch (err) {
        fail(index, itemError(err));
        return [];
      }
    });
    await Promise.all(
      [...byNode(routed)].map(async ([client, indexes]) => {
        const r = await nodeAnswer(client.call('importShares', { body: { ...signedBody(call), items: indexes } }, call.requestId), indexes, fail);
        // As for export: the items' records at once, each on its own.
        await Promise.all(
          answered(r, indexes).map(async (item) => {
            try {
              if (item.error || !item.share) {
                fail(item.index, fromNode(item.error));
                return;
              }
              const s = item.share;
              ws.network.learn(client.nodeId, s);
              await ws.network.remember(s.keyId, client.nodeId, s.publicKey, s.identifier);
              await ws.audit.append(call.caller.apiKeyId, 'share.import', {
                keyId: s.keyId,
                nodeId: client.nodeId,
                publicKey: s.publicKey,
                identifier: s.identifier,
                alreadyPresent: s.alreadyPresent,
              });
              results[item.index] = {
                nodeId: client.nodeId,
                ok: true,
                keyId: s.keyId,
                publicKey: s.publicKey,
                scheme: s.scheme,
                identifier: s.identifier,
                alreadyPresent: s.alreadyPresent,
                receipt: s.receipt,
              };
            } catch (err) {
              fail(item.index, itemError(err));
            }
          }),
        );
      }),
    );
    return { results };
  },
};
