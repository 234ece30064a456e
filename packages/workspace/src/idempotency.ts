import { createHmac, hkdfSync } from 'node:crypto';
import type { ErrorBody, ErrorDetail } from '@wr/api';
import { ERROR_CODES, WrError, newSessionId, randomId, type Secret } from '@wr/common';
import { Sealer, errorBody, type Db } from '@wr/server';

/**
 * What a call with an idempotency key comes to. `replayed` is said every time,
 * never left out: a first execution must not pass for a replay. A stored error
 * comes back only as a replay (a first execution throws it).
 */
export type Outcome = { ok: true; result: unknown; replayed: boolean } | { ok: false; status: number; error: ErrorDetail; replayed: true };

/**
 * Idempotency records (as stripe's): the first call with a key runs and its
 * outcome is stored, sealed; a retry with the same key and the same request
 * gets that outcome back without doing the work again. A retry while the call
 * still runs gets CONFLICT (the SDK waits and retries). A record left running
 * by a process that died is taken over, after `recover` cleans up what the
 * dead call may have left.
 */
export class Idempotency {
  /** Tells this process's running records from those of a process that died. */
  readonly #owner = randomId('proc_', 16);
  #sealer: Sealer;
  readonly #hashKey: Buffer;

  constructor(
    private readonly db: Db,
    masterKey: Secret<Uint8Array>,
  ) {
    this.#sealer = new Sealer(masterKey, 'idempotency');
    this.#hashKey = Buffer.from(hkdfSync('sha256', masterKey.expose(), new Uint8Array(0), 'wr idempotency request hash v1', 32));
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
    recover: (staleSessionId: string) => Promise<void>,
  ): Promise<Outcome> {
    const aad = `${apiKeyId} ${key}`;
    const sessionId = newSessionId();
    const claim = this.db
      .transaction((): Outcome | { stale?: string } => {
        const row = this.db
          .prepare(
            'SELECT component, request_hash, owner, state, status, sealed_response, session_id FROM idempotency WHERE api_key_id = ? AND idempotency_key = ?',
          )
          .get(apiKeyId, key) as
          | {
              component: string;
              request_hash: string;
              owner: string;
              state: string;
              status: number | null;
              sealed_response: Buffer | null;
              session_id: string | null;
            }
          | undefined;
        if (!row) {
          this.db
            .prepare(
              'INSERT INTO idempotency (api_key_id, idempotency_key, component, request_hash,' +
                ' owner, state, session_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
            )
            .run(apiKeyId, key, component, requestHash, this.#owner, 'running', sessionId, new Date().toISOString());
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
        if (row.owner === this.#owner)
          throw new WrError('CONFLICT', 'a call with this idempotency key is still running: retry in a moment', { retryable: true });
        this.db
          .prepare('UPDATE idempotency SET owner = ?, session_id = ? WHERE api_key_id = ? AND idempotency_key = ?')
          .run(this.#owner, sessionId, apiKeyId, key);
        return { stale: row.session_id ?? '' };
      })
      .immediate();
    if ('ok' in claim) return claim;
    if (claim.stale) await recover(claim.stale);

    try {
      const result = await exec(sessionId);
      this.finish(apiKeyId, key, 200, result);
      return { ok: true, result, replayed: false };
    } catch (err) {
      // A definite answer (bad input, not found, ...) is kept; a failure that a retry may cure (5xx, busy, still running) is not,
      // or the retry would get it back for ever.
      if (err instanceof WrError && ERROR_CODES[err.code].status < 500 && !err.retryable && err.code !== 'CONFLICT') {
        this.finish(apiKeyId, key, err.status, errorBody(err));
      } else {
        this.db.prepare('DELETE FROM idempotency WHERE api_key_id = ? AND idempotency_key = ? AND owner = ?').run(apiKeyId, key, this.#owner);
      }
      throw err;
    }
  }

  private finish(apiKeyId: string, key: string, status: number, body: unknown): void {
    const sealed = this.#sealer.seal(new TextEncoder().encode(JSON.stringify(body)), `${apiKeyId} ${key}`);
    this.db
      .prepare("UPDATE idempotency SET state = 'done', status = ?, sealed_response = ? WHERE api_key_id = ? AND idempotency_key = ?")
      .run(status, sealed, apiKeyId, key);
  }
}
