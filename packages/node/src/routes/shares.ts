import type { FastifyInstance } from 'fastify';
import { LIMITS, receiptMessage, sha256Hex, type Receipt, type ReceiptFacts, type ShareInfo } from '@wr/api';
import { WrError, signRaw, toHex } from '@wr/common';
import { decodePublicKeyPackage, sealEnvelope, wrapShare } from '@wr/crypto';
import { measured } from '@wr/server';
import type { NodeContext } from '../context.js';
import type { ShareRow } from '../store.js';
import type { OpenedImport } from '../workers/import-pool.js';
import { heavyStep, route, spendingUse } from './route.js';

/**
 * What the workspace learns of a share: everything but the signing share. The
 * stored group key is already in the form a standard verifier takes (checked
 * when the share was made or imported), so listing decodes nothing.
 */
export function describeShare(row: ShareRow): ShareInfo {
  return {
    keyId: row.keyId,
    scheme: row.scheme,
    publicKey: row.groupPublicKey,
    identifier: row.identifier,
    minSigners: row.minSigners,
    maxSigners: row.maxSigners,
    origin: row.origin,
    exportable: row.exportable,
    epoch: row.epoch,
    createdAt: row.createdAt,
    publicPackage: row.publicPackage,
  };
}

/** A share whose key generation is not committed yet is used for nothing. */
export function requireCommitted(ctx: NodeContext, keyId: string): void {
  if (ctx.store.isPending(keyId)) {
    throw new WrError('NODE_UNAVAILABLE', `key share ${keyId} is from a key generation not yet committed: retry in a moment`, { retryable: true });
  }
}

/** This node's signed receipt for what it did (see @wr/api receipts). */
export function receiptFor(ctx: NodeContext, facts: ReceiptFacts): Receipt {
  return { nodeId: facts.nodeId, signature: toHex(signRaw(ctx.keyring.signingKey, receiptMessage(facts))) };
}

/**
 * This node's share, sealed in an envelope it signs (with the share's epoch)
 * and wrapped in age to `recipients`: what an export and a backup hand out.
 * The plaintext share and envelope are destroyed before it returns.
 */
export async function wrapOwnShare(ctx: NodeContext, row: ShareRow, recipients: string[]): Promise<string> {
  const signingShare = ctx.store.signingShare(row);
  const envelope = sealEnvelope(
    {
      public: decodePublicKeyPackage(row.publicPackage),
      secret: { identifier: row.identifier, signingShare },
      source: { nodeId: ctx.config.nodeId, keyId: row.keyId },
      epoch: row.epoch,
      exportedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
    ctx.keyring.signingKey,
  );
  try {
    return await wrapShare(envelope, recipients);
  } finally {
    envelope.destroy();
    signingShare.destroy();
  }
}
/** A share for export: held here, committed, and exportable (the same checks for EXPORT_KEY_SHARE and EXPORT_KEY_SHARES). */
export function exportableShare(ctx: NodeContext, keyId: string): ShareRow {
  const row = ctx.store.get(keyId);
  if (!row) throw new WrError('NOT_FOUND', `no key share ${keyId} on ${ctx.config.nodeId}`);
  requireCommitted(ctx, row.keyId);
  if (!row.exportable) throw new WrError('NOT_EXPORTABLE', `key share ${row.keyId} was created with exportable: false`);
  return row;
}

/** An export in the node's log, and its receipt: the wrapped share is handed out only once this is recorded. */
export function recordExport(
  ctx: NodeContext,
  row: ShareRow,
  recipients: string[],
  wrappedKeyShare: string,
  actor: string,
  approvedBy: string[] | undefined,
): { wrappedKeyShare: string; receipt: Receipt } {
  ctx.log.append(actor, 'share.export', {
    ...(approvedBy && { approvedBy }),
    keyId: row.keyId,
    publicKey: row.groupPublicKey,
    identifier: row.identifier,
    recipients,
  });
  return {
    wrappedKeyShare,
    receipt: receiptFor(ctx, { kind: 'export', nodeId: ctx.config.nodeId, keyId: row.keyId, recipients, wrappedSha256: sha256Hex(wrappedKeyShare) }),
  };
}

/**
 * Opens a wrapped share with this node's identities and checks it (in the import pool's worker threads, when it has
 * any): only a share exported by a node of the signed roster is taken in.
 */
export function openImport(ctx: NodeContext, wrappedKeyShare: string): Promise<OpenedImport> {
  return ctx.imports.open(wrappedKeyShare, ctx.roster.signingKeys());
}

/**
 * Stores an opened share (or finds the same one already held), logs a new one,
 * and answers with its description and receipt. The caller destroys the share.
 */
export function importOpened(
  ctx: NodeContext,
  { envelope: opened, publicPackage }: OpenedImport,
  actor: string,
  approvedBy: string[] | undefined,
): ShareInfo & { alreadyPresent: boolean; receipt: Receipt } {
  const { keyId, created } = ctx.store.insert(
    {
      scheme: opened.public.scheme,
      groupPublicKey: opened.public.groupPublicKey,
      identifier: opened.secret.identifier,
      minSigners: opened.public.minSigners,
      maxSigners: opened.public.maxSigners,
      publicPackage,
      signingShare: opened.secret.signingShare,
      origin: 'imported',
      exportable: true,
      epoch: opened.epoch,
    },
    new Date().toISOString(),
  );
  if (created)
    ctx.log.append(actor, 'share.import', {
      ...(approvedBy && { approvedBy }),
      keyId,
      publicKey: opened.public.groupPublicKey,
      identifier: opened.secret.identifier,
      epoch: opened.epoch,
      source: opened.source,
    });
  const share = describeShare(ctx.store.get(keyId)!);
  const receipt = receiptFor(ctx, { kind: 'import', nodeId: ctx.config.nodeId, keyId, publicKey: share.publicKey, identifier: share.identifier });
  return { ...share, alreadyPresent: !created, receipt };
}

export function shareRoutes(app: FastifyInstance, ctx: NodeContext): void {
  const { store, keyring, config, http, authorizer } = ctx;

  const mustGet = (keyId: string): ShareRow => {
    const row = store.get(keyId);
    if (!row) throw new WrError('NOT_FOUND', `no key share ${keyId} on ${config.nodeId}`);
    return row;
  };

  route(app, 'info', async () => ({
    nodeId: config.nodeId,
    recipientKey: keyring.recipient,
    postQuantumRecipientKey: keyring.postQuantumRecipient,
    signingKey: keyring.signingPublicKey,
    shares: store.count(),
  }));

  route(app, 'listShares', async (req) => ({
    shares: store.list(req.query.after, Number(req.query.limit ?? LIMITS.pageMax)).map(describeShare),
  }));

  route(app, 'getShare', async (req) => describeShare(mustGet(req.params.keyId)));

  route(app, 'deleteShare', async (req) =>
    measured(http, 'delete', async () => {
      const { keyId } = req.params;
      const { params, caller, approvedBy } = authorizer.authorize(req.body.auth, ['DELETE_KEY_SHARE'], keyId, req.body.approvals);
      if (params.keyId !== keyId) throw new WrError('PERMISSION_DENIED', `the caller asked to delete ${params.keyId}, not ${keyId}`);
      const row = mustGet(keyId);
      const deleted = store.delete(keyId);
      ctx.log.append(caller.apiKeyId, 'share.delete', {
        ...(approvedBy && { approvedBy }),
        keyId,
        publicKey: row.groupPublicKey,
        identifier: row.identifier,
        epoch: row.epoch,
      });
      return { keyId, deleted };
    }),
  );

  route(app, 'exportShare', async (req) =>
    heavyStep(ctx, 'export', async () => {
      const { params, caller, approvedBy, consume } = authorizer.authorizeBatch(req.body.auth, ['EXPORT_KEY_SHARE'], req.body.approvals);
      // The recipients are the caller's, from the signed call: a relay cannot swap in its own.
      const recipients = Array.isArray(params.ageRecipient) ? params.ageRecipient : [params.ageRecipient];
      // The wrapped share goes out only once the call's use and the log entry are on disk.
      return spendingUse(
        ctx,
        consume,
        req.params.keyId,
        async () => {
          if (params.keyId !== req.params.keyId) throw new WrError('PERMISSION_DENIED', `the caller asked to export ${params.keyId}, not ${req.params.keyId}`);
          const row = exportableShare(ctx, req.params.keyId);
          return { row, wrappedKeyShare: await wrapOwnShare(ctx, row, recipients) };
        },
        ({ row, wrappedKeyShare }) => recordExport(ctx, row, recipients, wrappedKeyShare, caller.apiKeyId, approvedBy),
      );
    }),
  );

  route(app, 'importShare', async (req) =>
    heavyStep(ctx, 'import', async () => {
      const { params, caller, approvedBy, consume } = authorizer.authorizeBatch(req.body.auth, ['IMPORT_KEY_SHARE'], req.body.approvals);
      let opened: OpenedImport | undefined;
      try {
        // The call's use, the share and the log entry: one commit, all or none.
        return await spendingUse(
          ctx,
          consume,
          'import',
          async () => {
            if (params.nodeId !== undefined && params.nodeId !== config.nodeId) {
              throw new WrError('PERMISSION_DENIED', `the caller asked to import into ${params.nodeId}, not ${config.nodeId}`);
            }
            // Only a share exported by a node of the signed roster is taken in.
            opened = await openImport(ctx, params.wrappedKeyShare);
            return opened;
          },
          (o) => importOpened(ctx, o, caller.apiKeyId, approvedBy),
        );
      } finally {
        opened?.envelope.secret.signingShare.destroy();
      }
    }),
  );
}
