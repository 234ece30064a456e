/**
 * The one registry of error codes. Servers render a WrError as @wr/api's
 * ErrorBody, `{ error: { code, message, requestId, param?, retryable? } }`, with
 * the code's HTTP status; the SDK raises the same code. A message says what went wrong and what to do, and never
 * holds key material.
 */
export const ERROR_CODES = {
  INVALID_ARGUMENT: { status: 400, hint: 'Fix the named parameter and call again.' },
  UNAUTHENTICATED: { status: 401, hint: 'Pass a registered API key (WR_API_KEY); an admin registers one with `wr apikeys create`.' },
  PERMISSION_DENIED: { status: 403, hint: 'Use an API key that carries the needed scope (`wr apikeys list` shows them).' },
  NOT_FOUND: { status: 404, hint: 'Check the id: `wr keys list` and `wr nodes` (LIST_KEYS, LIST_NODES) show what exists.' },
  NOT_EXPORTABLE: { status: 403, hint: 'This key was created with exportable: false; its shares never leave their node.' },
  NO_IDENTITY_MATCH: { status: 422, hint: 'The wrapped share is encrypted to someone else: wrap it to this identity (or node) and try again.' },
  WRAPPED_SHARE_CORRUPT: { status: 422, hint: 'The wrapped share is damaged or was tampered with: fetch an intact copy.' },
  SHARE_INVALID: { status: 422, hint: 'The key share inside failed its checks: do not use it; export it again from a trusted node.' },
  UNSUPPORTED_VERSION: { status: 422, hint: 'The wrapped share uses a format this version does not know: upgrade wr.' },
  SHARE_RETIRED: {
    status: 410,
    hint: 'This node deleted this key share, or holds a newer epoch of it: an old copy never comes back. Export the current share instead.',
  },
  SHARE_STALE: {
    status: 410,
    hint: 'This wrapped share is from an older epoch of a key refreshed since: it no longer combines with the current shares. Export the current share.',
  },
  APPROVAL_REQUIRED: {
    status: 403,
    hint: 'A network policy needs approvals for this: submit it with REQUEST_APPROVAL (wr approvals request), then admins approve it (wr approvals approve).',
  },
  REPLAYED: { status: 409, hint: 'This signed request was already used: the SDK signs every attempt afresh; sign the call again.' },
  PAYLOAD_TOO_LARGE: { status: 413, hint: 'The request is larger than the server accepts.' },
  CONFLICT: {
    status: 409,
    hint: 'The call conflicts with what is there now (the message says what), or its idempotency key was used for another request or is still running.',
  },
  NODE_UNAVAILABLE: { status: 503, hint: 'A node did not answer: check that it runs (`wr nodes` shows which are down), then retry.' },
  WORKSPACE_UNAVAILABLE: {
    status: 503,
    hint: 'The workspace could not be reached, or is restarting: check that it runs (`npm start`, WR_BASE_URL); the SDK retries for its retryWindowMs.',
  },
  // 503, not 429: the bound is the server's, shared by every caller (RFC 9110 15.6.4, a temporary overload), not a quota one
  // caller overran (RFC 6585's 429). Like every 5xx it is never kept as an idempotency record, and clients retry it.
  RESOURCE_EXHAUSTED: {
    status: 503,
    hint: 'The server is at its bound on work in flight: retry after Retry-After seconds with the same idempotency key (the SDK and the CLI do).',
  },
  INTERNAL: { status: 500, hint: 'An unexpected error: retry; if it persists, report it with the request id.' },
  // A server that could not start: thrown before it serves anything, so these statuses never go out.
  PORT_IN_USE: { status: 500, hint: 'Another process listens on that port (another `npm start`?): stop it, or choose another (--port; 0 picks a free one).' },
  DATA_DIR_UNUSABLE: { status: 500, hint: 'Check that the data directory exists and that this user may read and write it (--data-dir, WR_DATA_DIR).' },
  CONFIG_INVALID: { status: 500, hint: 'Fix the named setting: its flag, WR_ variable or --config entry (`wr node start --help` lists them).' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

export function httpStatus(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/** An error with a stable code. `message` is safe to show to a caller. */
export class WrError extends Error {
  readonly code: ErrorCode;
  /** The parameter an INVALID_ARGUMENT is about, when there is one. */
  readonly param: string | undefined;
  /** The same call, sent again in a moment, may succeed (a call still running, say). */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options?: { param?: string; retryable?: boolean; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WrError';
    this.code = code;
    this.param = options?.param;
    this.retryable = options?.retryable ?? false;
  }

  get status(): number {
    return httpStatus(this.code);
  }
}

export function invalidArgument(param: string, message: string): WrError {
  return new WrError('INVALID_ARGUMENT', `${param}: ${message}`, { param });
}

/** A server's file (its database, its master key) that could not be opened or made: a startup failure. */
export function dataDirUnusable(file: string, cause: unknown): WrError {
  const why = (cause as NodeJS.ErrnoException)?.code ?? (cause as Error)?.message ?? String(cause);
  return new WrError('DATA_DIR_UNUSABLE', `cannot open ${file} (${why}): the data directory must be readable and writable by this user`, { cause });
}

/** The code of any thrown value: a WrError's own, otherwise INTERNAL. */
export function codeOf(err: unknown): ErrorCode {
  return err instanceof WrError ? err.code : 'INTERNAL';
}
