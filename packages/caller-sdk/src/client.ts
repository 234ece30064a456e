import { randomUUID } from 'node:crypto';
import { Encrypter, armor } from 'age-encryption';
import {
  AUTH_HEADERS,
  COMPONENTS,
  LIMITS,
  componentPath,
  openRoster,
  readErrorBody,
  receiptMessage,
  sha256Hex,
  type ComponentName,
  type ComponentParams,
  type ComponentResult,
  type Receipt,
  type ReceiptFacts,
  type Roster,
} from '@wr/api';
import { fromHex, verifyRaw } from '@wr/common';
import { ApiKey } from './api-key.js';
import { WorkspaceError } from './errors.js';
import { Workflows } from './workflows.js';

/** The components that answer a page at a time: they take a `cursor` and give a `nextCursor`. */
export type PagedComponent = { [C in ComponentName]: 'cursor' extends keyof ComponentParams<C> ? C : never }[ComponentName];

export interface WorkspaceClientOptions {
  /** The private half of an API key (wr_...): it signs every call and is never sent. */
  apiKey: string;
  /**
   * Default: the WR_BASE_URL environment variable (replicas separated by commas), then the local network
   * (http://127.0.0.1:7400). Several URLs are replicas of one workspace: a call that cannot reach one
   * (WORKSPACE_UNAVAILABLE) is retried on the next, within the retry window.
   */
  baseUrl?: string | string[];
  /** Per attempt, in milliseconds (default 30 000). */
  timeoutMs?: number;
  /**
   * How long a call keeps retrying, in milliseconds from its first attempt
   * (default 30 000): a workspace that cannot be reached (refused, reset, no
   * answer), or an answer marked retryable (a call still running, a server
   * draining or busy, with its Retry-After). Enough to ride out a restart.
   * After it, the call fails with the last error (WORKSPACE_UNAVAILABLE when
   * the workspace was never reached). 0: one attempt. Default: WR_RETRY_WINDOW_MS, then 30 000.
   */
  retryWindowMs?: number;
  /**
   * At most this many retries, whatever the window (default: no limit but the
   * window). Other 5xx answers (NODE_UNAVAILABLE, INTERNAL: the workspace
   * answered, but something behind it failed) get this many retries (default 3), within the window.
   */
  maxRetries?: number;
  /**
   * The network's root admin public key (default: WR_ADMIN_PUBLIC_KEY). When
   * set, a node recipient the workspace answers is checked against the roster
   * that key signed, so a workspace cannot hand out a recipient of its own.
   */
  adminPublicKey?: string;
}

export interface CallOptions {
  /** Sent as Idempotency-Key; one is made for every call if not given. */
  idempotencyKey?: string;
  timeoutMs?: number;
  /** This call's retry window, in place of the client's retryWindowMs. */
  retryWindowMs?: number;
  signal?: AbortSignal;
}

export const DEFAULT_BASE_URL = 'http://127.0.0.1:7400';

/** One call to a component. Nothing is sent until `promise()` is first called. */
export class WorkspaceCall<R> {
  #promise: Promise<R> | undefined;

  constructor(
    readonly component: ComponentName,
    readonly idempotencyKey: string,
    private readonly start: () => Promise<R>,
  ) {}

  /** Resolves with the result, or rejects with a WorkspaceError. */
  promise(): Promise<R> {
    this.#promise ??= this.start();
    return this.#promise;
  }
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The retry policy: the first backoff, its cap, and how many retries a 5xx not marked retryable gets by default. */
const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 2_000;
const UNMARKED_5XX_RETRIES = 3;

/** The backoff before retry `n` (1, 2, ...): doubling from BACKOFF_FIRST_MS, capped, with full jitter over its upper half. */
function backoffMs(n: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (n - 1)) * (0.5 + Math.random() / 2);
}

/** A Retry-After header (seconds, or an HTTP date) in milliseconds; undefined when absent or unreadable. */
function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The components whose answers carry node receipts, which the client checks when it knows the admin key. */
const RECEIPTED = [
  'CREATE_KEY',
  'EXPORT_KEY_SHARE',
  'IMPORT_KEY_SHARE',
  'EXPORT_KEY_SHARES',
  'IMPORT_KEY_SHARES',
  'REFRESH_KEY',
  'RESHARE_KEY',
  'REPAIR_KEY_SHARE',
] as const;
type Receipted = (typeof RECEIPTED)[number];

/**
 * The typed client of the workspace API. Every call is signed with the API key
 * (the key itself never travels) and carries an idempotency key, so the
 * retries it makes never do the work twice; each attempt is signed afresh.
 * A workspace that cannot be reached, and answers marked retryable, are
 * retried for `retryWindowMs` (a restart fits in it), after Retry-After when
 * the server sends one, else a capped, jittered backoff; other 5xx a few times.
 */
export class WorkspaceClient {
  /** The workspace's URLs: one, or its replicas. */
  readonly baseUrls: readonly string[];
  #current = 0;
  readonly #apiKey: ApiKey;
  readonly #timeoutMs: number;
  readonly #retryWindowMs: number;
  readonly #maxRetries: number;
  readonly #unmarkedRetries: number;
  readonly #adminPublicKey: string | undefined;

  /** Workflows as data, run step by step as this client's signed calls: `workspace.workflows.run('export-import-key-share', { keyId })`. */
  readonly workflows: Workflows = new Workflows(this);

  constructor(opts: WorkspaceClientOptions) {
    if (typeof opts?.apiKey !== 'string' || opts.apiKey.length === 0) {
      throw new WorkspaceError('UNAUTHENTICATED', 'apiKey is empty: pass the API key `npm start` printed (WR_API_KEY in .wr/dev.env)');
    }
    try {
      this.#apiKey = new ApiKey(opts.apiKey);
    } catch (err) {
      throw new WorkspaceError('UNAUTHENTICATED', (err as Error).message);
    }
    const given = opts.baseUrl ?? (process.env['WR_BASE_URL'] || DEFAULT_BASE_URL).split(',');
    this.baseUrls = (typeof given === 'string' ? [given] : given).map((u) => u.trim().replace(/\/+$/, '')).filter((u) => u !== '');
    if (this.baseUrls.length === 0) throw new WorkspaceError('INVALID_ARGUMENT', 'baseUrl is empty: give the workspace URL, or the URLs of its replicas');
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    const windowEnv = Number(process.env['WR_RETRY_WINDOW_MS'] || NaN);
    this.#retryWindowMs = opts.retryWindowMs ?? (Number.isFinite(windowEnv) && windowEnv >= 0 ? windowEnv : 30_000);
    this.#maxRetries = opts.maxRetries ?? Infinity;
    this.#unmarkedRetries = opts.maxRetries ?? UNMARKED_5XX_RETRIES;
    this.#adminPublicKey = opts.adminPublicKey ?? (process.env['WR_ADMIN_PUBLIC_KEY'] || undefined);
  }

  /** The id of the API key this client signs with. */
  get apiKeyId(): string {
    return this.#apiKey.apiKeyId;
  }

  call<C extends ComponentName>(component: C, params: ComponentParams<C>, opts: CallOptions = {}): WorkspaceCall<ComponentResult<C>> {
    const idempotencyKey = opts.idempotencyKey ?? randomUUID();
    return new WorkspaceCall(component, idempotencyKey, async () => {
      const sent = component === 'REWRAPPING_KEY_SHARE' ? await this.#sealIdentity(params as ComponentParams<'REWRAPPING_KEY_SHARE'>) : params;
      const result = (await this.#send(component, sent, idempotencyKey, opts)) as ComponentResult<C>;
      if (component === 'GET_NODE_RECIPIENT_KEY')
        this.#checkRecipient(params as ComponentParams<'GET_NODE_RECIPIENT_KEY'>, result as ComponentResult<'GET_NODE_RECIPIENT_KEY'>);
      if (this.#adminPublicKey && (RECEIPTED as readonly string[]).includes(component)) {
        await this.#checkReceipts(component as Receipted, sent as never, result as never);
      }
      return result;
    });
  }

  /**
   * Every page of a paged list, in order, following `nextCursor` until the
   * last: `for await (const page of workspace.pages(ComponentModule.LIST_KEYS, {}))`.
   * Each page is its own call (and keeps its own `unavailableNodes`).
   */
  async *pages<C extends PagedComponent>(
    component: C,
    params: ComponentParams<C>,
    opts: Omit<CallOptions, 'idempotencyKey'> = {},
  ): AsyncGenerator<ComponentResult<C>> {
    let cursor: string | undefined = (params as { cursor?: string }).cursor;
    do {
      const page: ComponentResult<C> = await this.call(component, { ...params, ...(cursor && { cursor }) }, opts).promise();
      yield page;
      cursor = (page as { nextCursor?: string }).nextCursor;
    } while (cursor);
  }

  /**
   * An identity given as text never reaches the workspace in the clear: it is
   * wrapped here to the network's nodes (from the roster, checked against the
   * admin key when it is known), one of which does the rewrap and opens it.
   */
  async #sealIdentity(params: ComponentParams<'REWRAPPING_KEY_SHARE'>): Promise<ComponentParams<'REWRAPPING_KEY_SHARE'>> {
    if (
      typeof params?.ageIdentity !== 'string' ||
      !/^AGE-SECRET-KEY-/m.test(params.ageIdentity) ||
      params.ageIdentity.includes('-----BEGIN AGE ENCRYPTED FILE-----')
    )
      return params;
    const { nodes } = await this.#fetchRoster();
    const postQuantum = /^AGE-SECRET-KEY-PQ-1/m.test(params.ageIdentity);
    const e = new Encrypter();
    for (const n of nodes) e.addRecipient(postQuantum ? n.postQuantumRecipientKey : n.recipientKey);
    return { ...params, ageIdentity: armor.encode(await e.encrypt(params.ageIdentity)) };
  }

  /** The network's roster, as GET_NODE_RECIPIENT_KEY hands it (and checks it against the admin key, when known). */
  async #fetchRoster(): Promise<Roster> {
    const { roster } = await this.call('GET_NODE_RECIPIENT_KEY', {}).promise();
    return JSON.parse(roster.roster) as Roster;
  }

  #roster: Promise<Roster> | undefined;

  /** The roster the admin key signed, fetched once for the receipts it checks. */
  #verifiedRoster(): Promise<Roster> {
    this.#roster ??= this.#fetchRoster().catch((err) => {
      this.#roster = undefined;
      throw err;
    });
    return this.#roster;
  }

  /**
   * What the nodes say they did, signed with the keys the roster pins: a key
   * on the nodes named, with the threshold and exportability asked for; an
   * export from the node holding the share, to the recipients asked for; an
   * import on the node that answers.
   */
  async #checkReceipts<C extends Receipted>(component: C, p: ComponentParams<C>, r: ComponentResult<C>): Promise<void> {
    const roster = await this.#verifiedRoster();
    const check = (receipt: Receipt | undefined, facts: ReceiptFacts) => {
      const node = roster.nodes.find((n) => n.nodeId === facts.nodeId);
      const ok =
        receipt &&
        node &&
        receipt.nodeId === facts.nodeId &&
        verifyRaw(fromHex(node.signingKey, 'signingKey', 32), receiptMessage(facts), fromHex(receipt.signature, 'signature', 64));
      if (!ok)
        throw new WorkspaceError(
          'UNAUTHENTICATED',
          `${component}: the answer carries no valid receipt from ${facts.nodeId} for what was asked: do not rely on it`,
        );
    };
    if (component === 'CREATE_KEY') {
      const [params, result] = [p as ComponentParams<'CREATE_KEY'>, r as ComponentResult<'CREATE_KEY'>];
      const named = params.nodeIds ?? roster.nodes.map((n) => n.nodeId);
      if (result.shares.map((s) => s.nodeId).join() !== named.join())
        throw new WorkspaceError('UNAUTHENTICATED', 'CREATE_KEY: the key is not on the nodes asked for');
      const asked = { scheme: params.scheme, threshold: params.threshold, maxSigners: named.length, exportable: params.exportable ?? true };
      for (const s of result.shares)
        check(s.receipt, { kind: 'key', nodeId: s.nodeId, keyId: s.keyId, publicKey: result.publicKey, identifier: s.identifier, ...asked });
    } else if (component === 'EXPORT_KEY_SHARE') {
      const [params, result] = [p as ComponentParams<'EXPORT_KEY_SHARE'>, r as ComponentResult<'EXPORT_KEY_SHARE'>];
      const recipients = Array.isArray(params.ageRecipient) ? params.ageRecipient : [params.ageRecipient];
      check(result.receipt, {
        kind: 'export',
        nodeId: result.receipt?.nodeId ?? '?',
        keyId: params.keyId,
        recipients,
        wrappedSha256: sha256Hex(result.wrappedKeyShare),
      });
    } else if (component === 'EXPORT_KEY_SHARES') {
      const [params, result] = [p as ComponentParams<'EXPORT_KEY_SHARES'>, r as ComponentResult<'EXPORT_KEY_SHARES'>];
      if (result.results.length !== params.items.length || result.results.some((x, i) => x.keyId !== params.items[i]!.keyId))
        throw new WorkspaceError('UNAUTHENTICATED', 'EXPORT_KEY_SHARES: the results do not answer the items asked, in order');
      result.results.forEach((x, i) => {
        if (!x.ok) return;
        const asked = params.items[i]!;
        check(x.receipt, {
          kind: 'export',
          nodeId: x.receipt?.nodeId ?? '?',
          keyId: asked.keyId,
          recipients: Array.isArray(asked.ageRecipient) ? asked.ageRecipient : [asked.ageRecipient],
          wrappedSha256: sha256Hex(x.wrappedKeyShare ?? ''),
        });
      });
    } else if (component === 'IMPORT_KEY_SHARES') {
      const [params, result] = [p as ComponentParams<'IMPORT_KEY_SHARES'>, r as ComponentResult<'IMPORT_KEY_SHARES'>];
      if (result.results.length !== params.items.length || result.results.some((x, i) => x.nodeId !== params.items[i]!.nodeId))
        throw new WorkspaceError('UNAUTHENTICATED', 'IMPORT_KEY_SHARES: the results do not answer the items asked, in order');
      for (const x of result.results)
        if (x.ok) check(x.receipt, { kind: 'import', nodeId: x.nodeId, keyId: x.keyId ?? '?', publicKey: x.publicKey ?? '?', identifier: x.identifier ?? '?' });
    } else if (component === 'REFRESH_KEY') {
      const [params, result] = [p as ComponentParams<'REFRESH_KEY'>, r as ComponentResult<'REFRESH_KEY'>];
      if (result.publicKey !== params.publicKey) throw new WorkspaceError('UNAUTHENTICATED', 'REFRESH_KEY: the answer is about another key');
      for (const s of result.shares)
        check(s.receipt, { kind: 'refresh', nodeId: s.nodeId, keyId: s.keyId, publicKey: params.publicKey, identifier: s.identifier, epoch: result.epoch });
    } else if (component === 'RESHARE_KEY') {
      const [params, result] = [p as ComponentParams<'RESHARE_KEY'>, r as ComponentResult<'RESHARE_KEY'>];
      if (result.publicKey !== params.publicKey || [...result.shares.map((s) => s.nodeId)].sort().join() !== [...params.nodeIds].sort().join())
        throw new WorkspaceError('UNAUTHENTICATED', 'RESHARE_KEY: the answer is about another key or other nodes');
      for (const s of result.shares)
        check(s.receipt, {
          kind: 'reshare',
          nodeId: s.nodeId,
          keyId: s.keyId,
          publicKey: params.publicKey,
          identifier: s.identifier,
          epoch: result.epoch,
          threshold: params.threshold,
        });
    } else if (component === 'REPAIR_KEY_SHARE') {
      const [params, result] = [p as ComponentParams<'REPAIR_KEY_SHARE'>, r as ComponentResult<'REPAIR_KEY_SHARE'>];
      if (result.nodeId !== params.nodeId || result.identifier !== params.identifier)
        throw new WorkspaceError('UNAUTHENTICATED', 'REPAIR_KEY_SHARE: the answer is about another share or node');
      check(result.receipt, { kind: 'repair', nodeId: params.nodeId, keyId: result.keyId, publicKey: params.publicKey, identifier: params.identifier });
    } else {
      const [params, result] = [p as ComponentParams<'IMPORT_KEY_SHARE'>, r as ComponentResult<'IMPORT_KEY_SHARE'>];
      if (params.nodeId !== undefined && params.nodeId !== result.nodeId)
        throw new WorkspaceError('UNAUTHENTICATED', `IMPORT_KEY_SHARE: imported into ${result.nodeId}, not ${params.nodeId}`);
      check(result.receipt, { kind: 'import', nodeId: result.nodeId, keyId: result.keyId, publicKey: result.publicKey, identifier: result.identifier });
    }
  }

  /** A recipient is a node's only if the admin-signed roster says so. */
  #checkRecipient(params: ComponentParams<'GET_NODE_RECIPIENT_KEY'>, r: ComponentResult<'GET_NODE_RECIPIENT_KEY'>): void {
    if (!this.#adminPublicKey) return;
    const fail = (why: string) =>
      new WorkspaceError('UNAUTHENTICATED', `the workspace answered a recipient for ${r.nodeId} that ${why}: do not wrap shares to it`);
    let roster;
    try {
      roster = openRoster(r.roster, this.#adminPublicKey);
    } catch {
      throw fail('comes with a roster the admin key did not sign');
    }
    const node = roster.nodes.find((n) => n.nodeId === r.nodeId);
    if (
      (params.nodeId !== undefined && params.nodeId !== r.nodeId) ||
      node?.recipientKey !== r.recipientKey ||
      node.postQuantumRecipientKey !== r.postQuantumRecipientKey
    ) {
      throw fail("is not that node's in the admin-signed roster");
    }
  }

  /** The URL calls go to now: the first of baseUrls, until it cannot be reached. */
  get baseUrl(): string {
    return this.baseUrls[this.#current]!;
  }

  async #send(component: ComponentName, params: unknown, idempotencyKey: string, opts: CallOptions): Promise<unknown> {
    if (!Object.prototype.hasOwnProperty.call(COMPONENTS, component)) {
      throw new WorkspaceError('INVALID_ARGUMENT', `unknown component ${String(component)}: use a ComponentModule value`);
    }
    const payload = JSON.stringify(params ?? {});
    if (Buffer.byteLength(payload) > LIMITS.bodyBytes) {
      throw new WorkspaceError('PAYLOAD_TOO_LARGE', `the request is ${Buffer.byteLength(payload)} bytes; the workspace accepts at most ${LIMITS.bodyBytes}`);
    }
    const deadline = Date.now() + (opts.retryWindowMs ?? this.#retryWindowMs);
    let unmarked = 0;
    for (let retry = 0; ; retry++) {
      opts.signal?.throwIfAborted();
      const attempt = await this.#attempt(component, payload, idempotencyKey, opts);
      if (!('error' in attempt)) return attempt.body;
      const { error, retryAfter } = attempt;
      // A 5xx not marked retryable: the workspace answered, but a node (or the workspace itself) failed. A few retries, not the window.
      const unmarked5xx = !error.retryable && error.code !== 'WORKSPACE_UNAVAILABLE' && (error.httpStatus ?? 0) >= 500;
      const retryable = error.retryable || error.code === 'WORKSPACE_UNAVAILABLE' || unmarked5xx;
      if (!retryable || retry >= this.#maxRetries || (unmarked5xx && ++unmarked > this.#unmarkedRetries)) throw error;
      const wait = retryAfter ?? backoffMs(retry + 1);
      if (Date.now() + wait > deadline) throw error;
      // A busy server's Retry-After is a floor, spread by up to half again (within the window) so the callers it refused come back apart.
      const spread = retryAfter === undefined ? 0 : Math.min(retryAfter * (Math.random() / 2), deadline - Date.now() - wait);
      await sleep(wait + spread, opts.signal);
    }
  }

  /** One attempt, signed afresh: the answer's body, or the error it came to (and the server's Retry-After, if it sent one). */
  async #attempt(
    component: ComponentName,
    payload: string,
    idempotencyKey: string,
    opts: CallOptions,
  ): Promise<{ body: unknown } | { error: WorkspaceError; retryAfter?: number | undefined }> {
    const timeoutMs = opts.timeoutMs ?? this.#timeoutMs;
    const base = this.baseUrl;
    const attempt = await this.#attemptAt(base, component, payload, idempotencyKey, opts, timeoutMs);
    // A replica that cannot be reached, or says it is unavailable: the next retry goes to the next replica (unless another call moved on already).
    if ('error' in attempt && attempt.error.code === 'WORKSPACE_UNAVAILABLE' && this.baseUrl === base) {
      this.#current = (this.#current + 1) % this.baseUrls.length;
    }
    return attempt;
  }

  async #attemptAt(
    base: string,
    component: ComponentName,
    payload: string,
    idempotencyKey: string,
    opts: CallOptions,
    timeoutMs: number,
  ): Promise<{ body: unknown } | { error: WorkspaceError; retryAfter?: number | undefined }> {
    let res: Response;
    try {
      res = await fetch(base + componentPath(component), {
        method: 'POST',
        headers: { ...signedHeaders(this.#apiKey, component, payload, idempotencyKey), 'content-type': 'application/json' },
        body: payload,
        signal: opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const timedOut = (err as Error)?.name === 'TimeoutError';
      const message = timedOut
        ? `the workspace at ${base} did not answer in time (${timeoutMs} ms)`
        : `cannot reach the workspace at ${base}: is it running (npm start), and is WR_BASE_URL right?`;
      return { error: new WorkspaceError('WORKSPACE_UNAVAILABLE', message, { cause: err, retryable: true }) };
    }
    const requestId = res.headers.get('x-request-id') ?? undefined;
    const retryAfter = res.status === 429 || res.status === 503 ? retryAfterMs(res.headers.get('retry-after')) : undefined;
    let body: unknown;
    try {
      body = await res.json();
    } catch (err) {
      // A 502/503/504 with no body of ours: a proxy in front, or a server on its way down.
      const unavailable = res.status === 502 || res.status === 503 || res.status === 504;
      const error = new WorkspaceError(unavailable ? 'WORKSPACE_UNAVAILABLE' : 'INTERNAL', `the workspace sent an unreadable answer (HTTP ${res.status})`, {
        requestId,
        httpStatus: res.status,
        cause: err,
        retryable: unavailable,
      });
      return { error, retryAfter };
    }
    if (res.ok) return { body };
    const e = readErrorBody(body);
    if (!e && (res.status === 502 || res.status === 503 || res.status === 504)) {
      const message = `the workspace is unavailable (HTTP ${res.status}): it may be stopping or restarting`;
      return { error: new WorkspaceError('WORKSPACE_UNAVAILABLE', message, { requestId, httpStatus: res.status, retryable: true }), retryAfter };
    }
    const error = e
      ? new WorkspaceError(e.code, e.message, { requestId, httpStatus: res.status, param: e.param, retryable: e.retryable === true })
      : new WorkspaceError('INTERNAL', `the workspace answered HTTP ${res.status} without an error body`, { requestId, httpStatus: res.status });
    return { error, retryAfter };
  }
}

/** The headers that sign one call (a fresh time, so each attempt is a new signature). */
export function signedHeaders(key: ApiKey, component: string, body: string, idempotencyKey: string): Record<string, string> {
  const auth = key.sign(component, body, idempotencyKey);
  return {
    [AUTH_HEADERS.apiKeyId]: auth.apiKeyId,
    [AUTH_HEADERS.timestamp]: String(auth.timestamp),
    [AUTH_HEADERS.signature]: auth.signature,
    [AUTH_HEADERS.idempotencyKey]: idempotencyKey,
  };
}
