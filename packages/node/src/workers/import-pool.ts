import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Secret, WrError, type ErrorCode } from '@wr/common';
import { encodePublicKeyPackage, unwrapShare, type OpenedEnvelope } from '@wr/crypto';

/** An opened share and its public package, encoded (and so checked) for storage. */
export interface OpenedImport {
  envelope: OpenedEnvelope;
  publicPackage: string;
}

export interface OpenRequest {
  id: number;
  wrappedKeyShare: string;
  trustedExporterKeys: string[];
}

export type OpenResponse =
  | { id: number; ok: true; opened: Omit<OpenedEnvelope, 'secret'> & { identifier: string }; publicPackage: string; share: Uint8Array }
  | { id: number; ok: false; error: { code: ErrorCode; message: string; param: string | undefined } };

interface PoolWorker {
  worker: Worker;
  /** Requests sent to it and not yet answered. */
  busy: number;
}

/** Worker threads for imports by default: one per core but one, which the node's own thread keeps. */
export const defaultImportWorkers = (): number => Math.max(0, availableParallelism() - 1);

/**
 * Where a node opens wrapped shares it imports (age unwrap, envelope signature, every key check: the CPU-heavy part
 * of an import): in a pool of `node:worker_threads`, so the event loop stays free for I/O, or with size 0 on the
 * node's own thread. The same checks either way (unwrapShare, encodePublicKeyPackage); a failure keeps its code.
 */
export class ImportPool {
  readonly #workers: PoolWorker[] = [];
  readonly #pending = new Map<number, { resolve: (r: OpenedImport) => void; reject: (e: unknown) => void }>();
  #next = 0;

  constructor(
    readonly size: number,
    private readonly identities: Secret<string>[],
  ) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./open-worker.js', import.meta.url), { workerData: { identities: identities.map((s) => s.expose()) } });
      const entry: PoolWorker = { worker, busy: 0 };
      worker.on('message', (res: OpenResponse) => {
        // An idle worker keeps no process alive; one at work does, until it answers.
        if (--entry.busy === 0) worker.unref();
        const p = this.#pending.get(res.id);
        this.#pending.delete(res.id);
        if (!p) return;
        if (!res.ok) return p.reject(new WrError(res.error.code, res.error.message, res.error.param === undefined ? undefined : { param: res.error.param }));
        const { identifier, ...rest } = res.opened;
        p.resolve({ envelope: { ...rest, secret: { identifier, signingShare: new Secret(res.share) } }, publicPackage: res.publicPackage });
      });
      // A worker that dies fails what it was doing; the node goes on with the others (or on its own thread).
      worker.on('error', () => this.#lost(entry));
      worker.on('exit', () => this.#lost(entry));
      worker.unref();
      this.#workers.push(entry);
    }
  }

  #lost(entry: PoolWorker): void {
    const i = this.#workers.indexOf(entry);
    if (i < 0) return;
    this.#workers.splice(i, 1);
    // Which requests it held is not tracked per worker: fail them all, as retryable.
    for (const p of this.#pending.values()) p.reject(new WrError('NODE_UNAVAILABLE', 'an import worker stopped: retry', { retryable: true }));
    this.#pending.clear();
  }

  /** Opens a wrapped share with this node's identities: only a share exported by one of `trustedExporterKeys` is taken in. */
  async open(wrappedKeyShare: string, trustedExporterKeys: string[]): Promise<OpenedImport> {
    const w = this.#workers.reduce<PoolWorker | undefined>((a, b) => (!a || b.busy < a.busy ? b : a), undefined);
    if (!w) {
      const envelope = await unwrapShare(wrappedKeyShare, this.identities, { trustedExporterKeys });
      try {
        return { envelope, publicPackage: encodePublicKeyPackage(envelope.public) };
      } catch (err) {
        envelope.secret.signingShare.destroy();
        throw err;
      }
    }
    const id = this.#next++;
    if (w.busy++ === 0) w.worker.ref();
    return new Promise<OpenedImport>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      w.worker.postMessage({ id, wrappedKeyShare, trustedExporterKeys } satisfies OpenRequest);
    });
  }

  async close(): Promise<void> {
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}
