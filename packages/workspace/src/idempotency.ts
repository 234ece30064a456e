import { createHmac, hkdfSync } from 'node:crypto';
import type { ErrorBody, ErrorDetail } from '@wr/api';
import { ERROR_CODES, WrError, newSessionId, randomId, type Secret } from '@wr/common';
import { Sealer, errorBody } from '@wr/server';
import type { Sql, WorkspaceStore } from './store.js';

/**
 * What a call with an idempotency key comes to. `replayed` is said every time,
 * never left out: a first execution must not pass for a replay. A stored error
 * comes back only as a replay (a first execution throws it).
 */
export type Outcome = { ok: true; result: unknown; replayed: boolean } | { ok: false; status: number; error: ErrorDetail; replayed: true };

/** How long a running record stays its process's without being renewed (renewed every third of it while the call runs). */
export const DEFAULT_LEASE_MS = 10_000;

interface Row {
  component: string;
  request_hash: string;
  owner: string;
  state: string;
  status: number | null;
  sealed_response: Buffer | null;
  session_id: string | null;
  lease_until: number | null;
}

/**
 * Idempotency records (as stripe's): the first call with a key runs and its
 * outcome is stored, sealed; a retry with the same key and the same request
 * gets that outcome back without doing the work again. A retry while the call
 * still runs gets CONFLICT (the SDK waits and retries). The process running a
 * call holds a lease on its record and renews it while the call runs: a
 * record is taken over only once its lease has run out (its process died, on
 * this replica or another), after `recover` cleans up what the dead call may
 * have left. Replicas' clocks are assumed to agree to well within the lease.
 */
export class Idempotency {
  /** This process, as the owner of the records it runs. */
  readonly #owner = randomId('proc_', 16);
  #sealer: Sealer;
  readonly #hashKey: Buffer;

  constructor(
    private readonly store: WorkspaceStore,
    masterKey: Secret<Uint8Array>,
    private readonly leaseMs = DEFAULT_LEASE_MS,
  ) {
    this.#sealer = new Sealer(masterKey, 'idempotency');
    this.#hashKey = Buffer.from(hkdfSync('sha256', masterKey.expose(), new Uint8Array(0), 'wr idempotency request hash v1', 32));
  }

  /**
   * workspace.db serves one workspace process (replicas need PostgreSQL): at its start, every record still
   * running was its dead predecessor's, and a retry may take it over at once rather than wait out the lease.
   */
  async releaseLeasesOfDeadProcess(): Promise<void> {
    await this.store.run("UPDATE idempotency SET lease_until = NULL WHERE state = 'running'");
  }

  /** Tells one request from another under the same key. Keyed, so a stored hash reveals nothing of a body (a passphrase, say). */
  requestHash(component: string, body: unknown): string {
    return createHmac('sha256', this.#hashKey)
      .update(component)
      .update('\n')
      .update(JSON.stringify(body ?? {}))
      .digest('hex');
  }

  async run(
    apiKeyId: string,
    key: string,
    component: string,
    requestHash: string,
    exec: (sessionId: string) => Promise<unknown>,
    recover?: (staleSessionId: string) => Promise<void>,
  ): Promise<Outcome> {
    const aad = `${apiKeyId} ${key}`;
    const sessionId = newSessionId();
    const lock = `idempotency ${apiKeyId} ${key}`;
    const take = async (tx: Sql): Promise<Outcome | { stale?: string }> => {
      const row = await tx.get<Row>(
        'SELECT component, request_hash, owner, state, status, sealed_response, session_id, lease_until' +
          ' FROM idempotency WHERE api_key_id = ? AND idempotency_key = ?',
        apiKeyId,
        key,
      );
      const now = Date.now();
      if (!row) {
        await tx.run(
          'INSERT INTO idempotency (api_key_id, idempotency_key, component, request_hash,' +
            ' owner, state, session_id, created_at, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          apiKeyId,
          key,
          component,
          requestHash,
          this.#owner,
          'running',
          sessionId,
          new Date(now).toISOString(),
          now + this.leaseMs,
        );
        return {};
      }
      if (row.component !== component || row.request_hash !== requestHash) {
        throw new WrError('CONFLICT', 'this idempotency key was already used for a different request: use a new key for a new call');
      }
      if (row.state === 'done') {
        const body: unknown = JSON.parse(new TextDecoder().decode(this.#sealer.open(row.sealed_response!, aad).expose()));
        // Sealed by finish(): a 200 holds the result, any other status an ErrorBody.
        if (row.status === 200) return { ok: true, result: body, replayed: true };
        return { ok: false, status: row.status!, error: (body as ErrorBody).error, replayed: true };
      }
      // Running, and its lease still held (a record from before leases has none: its process is gone).
      if (row.lease_until !== null && row.lease_until > now) {
        throw new WrError('CONFLICT', 'a call with this idempotency key is still running: retry in a moment', { retryable: true });
      }
      await tx.run(
        'UPDATE idempotency SET owner = ?, session_id = ?, lease_until = ? WHERE api_key_id = ? AND idempotency_key = ?',
        this.#owner,
        sessionId,
        now + this.leaseMs,
        apiKeyId,
        key,
      );
      return { stale: row.session_id ?? '' };
    };
    // A claim is on disk before its call runs where a dead process's call must be recovered (`recover`: a DKG to abort).
    // Elsewhere, on workspace.db, it shares the result's commit: its lease would die with its process anyway (see
    // releaseLeasesOfDeadProcess), and this process sees it at once. PostgreSQL's replicas need it committed first.
    let claimed: Promise<void> = Promise.resolve();
    let claim: Outcome | { stale?: string };
    if (!recover && this.store.stage) {
      const staged = await this.store.stage(lock, take);
      claim = staged.result;
      claimed = staged.committed;
      claimed.catch(() => undefined);
    } else claim = await this.store.transaction(lock, take);
    if ('ok' in claim) return claim;

    const renewal = setInterval(
      () => {
        void this.store
          .run(
            "UPDATE idempotency SET lease_until = ? WHERE api_key_id = ? AND idempotency_key = ? AND owner = ? AND state = 'running'",
            Date.now() + this.leaseMs,
            apiKeyId,
            key,
            this.#owner,
          )
          .catch(() => undefined);
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    renewal.unref();
    try {
      if (claim.stale) await recover?.(claim.stale);
      const result = await exec(sessionId);
      await claimed;
      await this.finish(apiKeyId, key, 200, result);
      return { ok: true, result, replayed: false };
    } catch (err) {
      // A definite answer (bad input, not found, ...) is kept; a failure that a retry may cure (5xx, busy, still running) is not,
      // or the retry would get it back for ever.
      if (err instanceof WrError && ERROR_CODES[err.code].status < 500 && !err.retryable && err.code !== 'CONFLICT') {
        await this.finish(apiKeyId, key, err.status, errorBody(err));
      } else {
        await this.store.run('DELETE FROM idempotency WHERE api_key_id = ? AND idempotency_key = ? AND owner = ?', apiKeyId, key, this.#owner);
      }
      throw err;
    } finally {
      clearInterval(renewal);
    }
  }

  private async finish(apiKeyId: string, key: string, status: number, body: unknown): Promise<void> {
    const sealed = this.#sealer.seal(new TextEncoder().encode(JSON.stringify(body)), `${apiKeyId} ${key}`);
    await this.store.run(
      "UPDATE idempotency SET state = 'done', status = ?, sealed_response = ?, lease_until = NULL WHERE api_key_id = ? AND idempotency_key = ? AND owner = ?",
      status,
      sealed,
      apiKeyId,
      key,
      this.#owner,
    );
  }
}
