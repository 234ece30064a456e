import type { FastifyInstance } from 'fastify';
import { firstDuplicate, itemError, type ItemError } from '@wr/api';
import { WrError } from '@wr/common';
import type { NodeContext } from '../context.js';
import type { ShareRow } from '../store.js';
import type { OpenedImport } from '../workers/import-pool.js';
import { heavyStep, route } from './route.js';
import { exportableShare, importOpened, openImport, recordExport, wrapOwnShare } from './shares.js';

/**
 * The items of a batch this node is asked to do: indexes into the signed call's
 * items, which a relay picks but cannot change. A batch that names an item
 * twice is refused whole, as the workspace refuses it.
 */
function itemsOf<I>(items: readonly I[], indexes: readonly number[], keyOf: (item: I) => string): { index: number; item: I }[] {
  const dup = firstDuplicate(items.map(keyOf));
  if (dup >= 0) throw new WrError('INVALID_ARGUMENT', `items[${dup}]: repeats an earlier item: name each item once`, { param: 'items' });
  return indexes.map((index) => {
    const item = items[index];
    if (item === undefined) throw new WrError('INVALID_ARGUMENT', `items: the call has ${items.length} items, not an item ${index}`, { param: 'items' });
    return { index, item };
  });
}

/**
 * EXPORT_KEY_SHARES and IMPORT_KEY_SHARES at one node: one request for all the
 * items the workspace routes here, the same checks per item as the single
 * calls (the signed call's scope and approvals once, since it covers the
 * batch; the share, its state and the one use of the call per item), and one
 * SQLite transaction for the batch's writes. The slow age and envelope work is
 * done first, outside it; inside, each item runs in its own savepoint, so a
 * failing item is rolled back alone and a kill leaves every item either done
 * (use spent, share stored, logged) or not at all.
 */
export function batchRoutes(app: FastifyInstance, ctx: NodeContext): void {
  const { authorizer, config, store } = ctx;

  route(app, 'exportShares', async (req) =>
    heavyStep(ctx, 'export-batch', async () => {
      const { params, caller, approvedBy, consume } = authorizer.authorizeBatch(req.body.auth, ['EXPORT_KEY_SHARES'], req.body.approvals);
      const todo = itemsOf(params.items, req.body.items, (i) => i.keyId);
      const results = new Map<number, { index: number; wrappedKeyShare?: string; receipt?: ReturnType<typeof recordExport>['receipt']; error?: ItemError }>();
      const wrapped: { index: number; row: ShareRow; recipients: string[]; wrappedKeyShare: string }[] = [];
      for (const { index, item } of todo) {
        try {
          // The recipients are the caller's, from the signed call: a relay cannot swap in its own.
          const recipients = Array.isArray(item.ageRecipient) ? item.ageRecipient : [item.ageRecipient];
          const row = exportableShare(ctx, item.keyId);
          wrapped.push({ index, row, recipients, wrappedKeyShare: await wrapOwnShare(ctx, row, recipients) });
        } catch (err) {
          results.set(index, { index, error: itemError(err) });
        }
      }
      store.db
        .transaction(() => {
          for (const w of wrapped) {
            try {
              const done = store.db.transaction(() => {
                consume(w.row.keyId);
                return recordExport(ctx, w.row, w.recipients, w.wrappedKeyShare, caller.apiKeyId, approvedBy);
              })();
              results.set(w.index, { index: w.index, ...done });
            } catch (err) {
              results.set(w.index, { index: w.index, error: itemError(err) });
            }
          }
        })
        .immediate();
      return { results: todo.map(({ index }) => results.get(index)!) };
    }),
  );

  route(app, 'importShares', async (req) =>
    heavyStep(ctx, 'import-batch', async () => {
      const { params, caller, approvedBy, consume } = authorizer.authorizeBatch(req.body.auth, ['IMPORT_KEY_SHARES'], req.body.approvals);
      const todo = itemsOf(params.items, req.body.items, (i) => i.wrappedKeyShare);
      const results = new Map<number, { index: number; share?: ReturnType<typeof importOpened>; error?: ItemError }>();
      const opened: { index: number; envelope: OpenedImport }[] = [];
      try {
        // All at once: the import pool's workers open them side by side.
        await Promise.all(
          todo.map(async ({ index, item }) => {
            try {
              if (item.nodeId !== config.nodeId) {
                throw new WrError('PERMISSION_DENIED', `the caller asked to import into ${item.nodeId}, not ${config.nodeId}`);
              }
              opened.push({ index, envelope: await openImport(ctx, item.wrappedKeyShare) });
            } catch (err) {
              results.set(index, { index, error: itemError(err) });
            }
          }),
        );
        // In the call's order, whichever finished first.
        opened.sort((a, b) => a.index - b.index);
        store.db
          .transaction(() => {
            for (const o of opened) {
              try {
                const share = store.db.transaction(() => {
                  consume(`import ${o.index}`);
                  return importOpened(ctx, o.envelope, caller.apiKeyId, approvedBy);
                })();
                results.set(o.index, { index: o.index, share });
              } catch (err) {
                results.set(o.index, { index: o.index, error: itemError(err) });
              }
            }
          })
          .immediate();
      } finally {
        for (const o of opened) o.envelope.envelope.secret.signingShare.destroy();
      }
      return { results: todo.map(({ index }) => results.get(index)!) };
    }),
  );
}
