import type { FastifyInstance } from 'fastify';
import { SignedCallBody } from '@wr/api';
import { WrError } from '@wr/common';
import { decodePublicKeyPackage, encodePublicKeyPackage as encodePublic, sealEnvelope, unwrapShare, wrapShare } from '@wr/crypto';
import { measured } from '@wr/server';
import type { NodeContext } from '../context.js';
import type { ShareRow } from '../store.js';

const keyIdParam = {
  type: 'object',
  additionalProperties: false,
  required: ['keyId'],
  properties: { keyId: { type: 'string', pattern: '^key_[0-9a-z]{26}$' } },
} as const;

const shareInfo = {
  type: 'object',
  properties: {
    keyId: { type: 'string' },
    scheme: { type: 'string' },
    publicKey: { type: 'string' },
    identifier: { type: 'string' },
    minSigners: { type: 'integer' },
    maxSigners: { type: 'integer' },
    origin: { type: 'string' },
    exportable: { type: 'boolean' },
    epoch: { type: 'integer' },
    createdAt: { type: 'string' },
    publicPackage: { type: 'string' },
  },
} as const;

/**
 * What the workspace learns of a share: everything but the signing share. The
 * stored group key is already in the form a standard verifier takes (checked
 * when the share was made or imported), so listing decodes nothing.
 */
export function describeShare(row: ShareRow) {
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

export function shareRoutes(app: FastifyInstance, ctx: NodeContext): void {
  const { store, keyring, config, http, authorizer } = ctx;

  const mustGet = (keyId: string): ShareRow => {
    const row = store.get(keyId);
    if (!row) throw new WrError('NOT_FOUND', `no key share ${keyId} on ${config.nodeId}`);
    return row;
  };

  app.get('/v1/info', async () => ({
    nodeId: config.nodeId,
    recipientKey: keyring.recipient,
    postQuantumRecipientKey: keyring.postQuantumRecipient,
    signingKey: keyring.signingPublicKey,
    shares: store.count(),
  }));

  app.get('/v1/shares', { schema: { response: { 200: { type: 'object', properties: { shares: { type: 'array', items: shareInfo } } } } } }, async () => ({
    shares: store.list().map(describeShare),
  }));

  app.get<{ Params: { keyId: string } }>('/v1/shares/:keyId', { schema: { params: keyIdParam, response: { 200: shareInfo } } }, async (req) =>
    describeShare(mustGet(req.params.keyId)),
  );

  app.post<{ Params: { keyId: string }; Body: SignedCallBody }>('/v1/shares/:keyId/delete', { schema: { params: keyIdParam, body: SignedCallBody } }, async (req) =>
    measured(http, 'delete', async () => {
      const { keyId } = req.params;
      const { params } = authorizer.authorize(req.body.auth, ['DELETE_KEY_SHARE'], keyId, req.body.approvals);
      if (params.keyId !== keyId) throw new WrError('PERMISSION_DENIED', `the caller asked to delete ${params.keyId}, not ${keyId}`);
      mustGet(keyId);
      return { keyId, deleted: store.delete(keyId) };
    }),
  );

  app.post<{ Params: { keyId: string }; Body: SignedCallBody }>(
    '/v1/shares/:keyId/export',
    {
      schema: {
        params: keyIdParam,
        body: SignedCallBody,
        response: { 200: { type: 'object', properties: { wrappedKeyShare: { type: 'string' } } } },
      },
    },
    async (req) =>
      measured(http, 'export', async () => {
        const { params } = authorizer.authorize(req.body.auth, ['EXPORT_KEY_SHARE'], req.params.keyId, req.body.approvals);
        if (params.keyId !== req.params.keyId) throw new WrError('PERMISSION_DENIED', `the caller asked to export ${params.keyId}, not ${req.params.keyId}`);
        // The recipients are the caller's, from the signed call: a relay cannot swap in its own.
        const recipients = Array.isArray(params.ageRecipient) ? params.ageRecipient : [params.ageRecipient];
        const row = mustGet(req.params.keyId);
        requireCommitted(ctx, row.keyId);
        if (!row.exportable) throw new WrError('NOT_EXPORTABLE', `key share ${row.keyId} was created with exportable: false`);
        const signingShare = store.signingShare(row);
        const envelope = sealEnvelope(
          {
            public: decodePublicKeyPackage(row.publicPackage),
            secret: { identifier: row.identifier, signingShare },
            source: { nodeId: config.nodeId, keyId: row.keyId },
            epoch: row.epoch,
            exportedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          },
          keyring.signingKey,
        );
        try {
          return { wrappedKeyShare: await wrapShare(envelope, recipients) };
        } finally {
          envelope.destroy();
          signingShare.destroy();
        }
      }),
  );

  app.post<{ Body: SignedCallBody }>(
    '/v1/shares/import',
    { schema: { body: SignedCallBody } },
    async (req) =>
      measured(http, 'import', async () => {
        const { params } = authorizer.authorize(req.body.auth, ['IMPORT_KEY_SHARE'], 'import', req.body.approvals);
        if (params.nodeId !== undefined && params.nodeId !== config.nodeId) {
          throw new WrError('PERMISSION_DENIED', `the caller asked to import into ${params.nodeId}, not ${config.nodeId}`);
        }
        // Only a share exported by a node of the signed roster is taken in.
        const opened = await unwrapShare(params.wrappedKeyShare, keyring.identities, { trustedExporterKeys: ctx.roster.signingKeys() });
        try {
          const { keyId, created } = store.insert(
            {
              scheme: opened.public.scheme,
              groupPublicKey: opened.public.groupPublicKey,
              identifier: opened.secret.identifier,
              minSigners: opened.public.minSigners,
              maxSigners: opened.public.maxSigners,
              publicPackage: encodePublic(opened.public),
              signingShare: opened.secret.signingShare,
              origin: 'imported',
              exportable: true,
              epoch: opened.epoch,
            },
            new Date().toISOString(),
          );
          return { ...describeShare(mustGet(keyId)), alreadyPresent: !created };
        } finally {
          opened.secret.signingShare.destroy();
        }
      }),
  );
}
