/**
 * The console's calls to the workspace it is served by: `POST /v1/components/<NAME>`, each signed here with the
 * signed-in key (see sign.ts), like the SDK. Errors come back as ConsoleError with the workspace's code and
 * message, and the registry's hint for that code.
 */
import { ERROR_CODES, isErrorCode } from '@wr/common';
import type { ComponentName, ComponentParams, ComponentResult, ErrorDetail } from '@wr/api';
import { signedHeaders, type SigningKey } from './sign.js';

export class ConsoleError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly requestId: string | undefined;
  readonly retryable: boolean;

  constructor(code: string, message: string, opts: { requestId?: string | undefined; retryable?: boolean } = {}) {
    super(message);
    this.name = 'ConsoleError';
    this.code = code;
    this.hint = isErrorCode(code) ? ERROR_CODES[code].hint : undefined;
    this.requestId = opts.requestId;
    this.retryable = opts.retryable ?? false;
  }
}

/** Any thrown value as a ConsoleError (what pages show). */
export function asConsoleError(err: unknown): ConsoleError {
  if (err instanceof ConsoleError) return err;
  const e = err as { code?: unknown; message?: unknown };
  return new ConsoleError(typeof e?.code === 'string' ? e.code : 'INTERNAL', typeof e?.message === 'string' ? e.message : String(err));
}

/** Tries and the pause between them for answers marked retryable (a call still running, a busy or restarting workspace). */
const RETRIES = 4;
const RETRY_PAUSE_MS = 500;

export class ConsoleClient {
  constructor(
    private readonly key: SigningKey,
    private readonly baseUrl = '',
  ) {}

  get apiKeyId(): string {
    return this.key.apiKeyId;
  }

  /** One call; a retryable failure is tried again with the same idempotency key (so it never runs twice), signed afresh. */
  async call<C extends ComponentName>(component: C, params: ComponentParams<C>, idempotencyKey: string = crypto.randomUUID()): Promise<ComponentResult<C>> {
    const body = JSON.stringify(params ?? {});
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.#attempt(component, body, idempotencyKey)) as ComponentResult<C>;
      } catch (err) {
        if (!(err instanceof ConsoleError) || !err.retryable || attempt >= RETRIES) throw err;
        await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS * attempt));
      }
    }
  }

  async #attempt(component: string, body: string, idempotencyKey: string): Promise<unknown> {
    const headers = await signedHeaders(this.key, { component, idempotencyKey, body });
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/v1/components/${component}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
    } catch {
      throw new ConsoleError('WORKSPACE_UNAVAILABLE', 'cannot reach the workspace: is it running (npm start)?', { retryable: true });
    }
    const requestId = res.headers.get('x-request-id') ?? undefined;
    let answer: unknown;
    try {
      answer = await res.json();
    } catch {
      const unavailable = res.status === 502 || res.status === 503 || res.status === 504;
      throw new ConsoleError(unavailable ? 'WORKSPACE_UNAVAILABLE' : 'INTERNAL', `the workspace sent an unreadable answer (HTTP ${res.status})`, {
        requestId,
        retryable: unavailable,
      });
    }
    if (res.ok) return answer;
    const e = (answer as { error?: ErrorDetail })?.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      throw new ConsoleError(e.code, e.message, { requestId: e.requestId ?? requestId, retryable: e.retryable === true });
    }
    throw new ConsoleError('INTERNAL', `the workspace answered HTTP ${res.status} without an error body`, { requestId });
  }
}
