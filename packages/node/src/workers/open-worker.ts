/**
 * A worker thread of the node's import pool (import-pool.ts): opens wrapped shares with the node's age identities
 * (given once, at start) and runs every envelope and key check, then encodes the public package, so the node's
 * event loop does none of that CPU work. The signing share goes back to the node's thread as a transferred buffer:
 * the worker keeps no copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Secret, WrError } from '@wr/common';
import { encodePublicKeyPackage, unwrapShare } from '@wr/crypto';
import type { OpenRequest, OpenResponse } from './import-pool.js';

const identities = (workerData as { identities: string[] }).identities.map((i) => new Secret(i));

parentPort!.on('message', (req: OpenRequest) => {
  void (async (): Promise<OpenResponse> => {
    try {
      const opened = await unwrapShare(req.wrappedKeyShare, identities, { trustedExporterKeys: req.trustedExporterKeys });
      try {
        const publicPackage = encodePublicKeyPackage(opened.public);
        const share = opened.secret.signingShare.expose().slice();
        const { secret, ...rest } = opened;
        return { id: req.id, ok: true, opened: { ...rest, identifier: secret.identifier }, publicPackage, share };
      } finally {
        opened.secret.signingShare.destroy();
      }
    } catch (err) {
      const e = err instanceof WrError ? err : undefined;
      return {
        id: req.id,
        ok: false,
        error: { code: e?.code ?? 'INTERNAL', message: e ? e.message : 'the import check failed unexpectedly', param: e?.param },
      };
    }
  })().then((res) => parentPort!.postMessage(res, res.ok ? [res.share.buffer as ArrayBuffer] : []));
});
