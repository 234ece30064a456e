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

/** The components that answer a page at a time: they take a `cursor` and give a `nextCursor`. */
export type PagedComponent = { [C in ComponentName]: 'cursor' extends keyof ComponentParams<C> ? C : never }[ComponentName];

export interface WorkspaceClientOptions {
  /** The private half of an API key (wr_...): it signs every call and is never sent. */
  apiKey: string;
  /** Default: the WR_BASE_URL environment variable, then the local network (http://127.0.0.1:7400). */
  baseUrl?: string;
  /** Per attempt, in milliseconds (default 30 000). */
  timeoutMs?: number;
  /** Retries after the first attempt for failures a retry may cure (default 3). */
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The components whose answers carry node receipts, which the client checks when it knows the admin key. */
const RECEIPTED = ['CREATE_KEY', 'EXPORT_KEY_SHARE', 'IMPORT_KEY_SHARE', 'REFRESH_KEY'] as const;
type Receipted = (typeof RECEIPTED)[number];

/**
 * The typed client of the workspace API. Every call is signed with the API key
 * (the key itself never travels) and carries an idempotency key, so the
 * retries it makes (connection failures, timeouts, errors marked retryable,
 * 5xx) never do the work twice; each attempt is signed afresh, and the backoff
 * is capped and jittered.
 */
export class WorkspaceClient {
  readonly baseUrl: string;
  readonly #apiKey: ApiKey;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #adminPublicKey: string | undefined;

  constructor(opts: WorkspaceClientOptions) {
    if (typeof opts?.apiKey !== 'string' || opts.apiKey.length === 0) {
      throw new WorkspaceError('UNAUTHENTICATED', 'apiKey is empty: pass the API key `npm start` printed (WR_API_KEY in .wr/dev.env)');
    }
    try {
      this.#apiKey = new ApiKey(opts.apiKey);
    } catch (err) {
      throw new WorkspaceError('UNAUTHENTICATED', (err as Error).message);
    }
    this.baseUrl = (opts.baseUrl ?? process.env['WR_BASE_URL'] ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#maxRetries = opts.maxRetries ?? 3;
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
    } else if (component === 'REFRESH_KEY') {
      const [params, result] = [p as ComponentParams<'REFRESH_KEY'>, r as ComponentResult<'REFRESH_KEY'>];
      if (result.publicKey !== params.publicKey) throw new WorkspaceError('UNAUTHENTICATED', 'REFRESH_KEY: the answer is about another key');
      for (const s of result.shares)
        check(s.receipt, { kind: 'refresh', nodeId: s.nodeId, keyId: s.keyId, publicKey: params.publicKey, identifier: s.identifier, epoch: result.epoch });
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

  async #send(component: ComponentName, params: unknown, idempotencyKey: string, opts: CallOptions): Promise<unknown> {
    if (!Object.prototype.hasOwnProperty.call(COMPONENTS, component)) {
      throw new WorkspaceError('INVALID_ARGUMENT', `unknown component ${String(component)}: use a ComponentModule value`);
    }
    const payload = JSON.stringify(params ?? {});
    if (Buffer.byteLength(payload) > LIMITS.bodyBytes) {
      throw new WorkspaceError('PAYLOAD_TOO_LARGE', `the request is ${Buffer.byteLength(payload)} bytes; the workspace accepts at most ${LIMITS.bodyBytes}`);
    }
    let lastError: WorkspaceError | undefined;
    for (let attempt = 0; attempt <= this.#maxRetries; attempt++) {
      if (attempt > 0) await sleep(Math.min(4000, 200 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
      opts.signal?.throwIfAborted();
      let res: Response;
      try {
        res = await fetch(this.baseUrl + componentPath(component), {
          method: 'POST',
          headers: { ...signedHeaders(this.#apiKey, component, payload, idempotencyKey), 'content-type': 'application/json' },
          body: payload,
          signal: opts.signal
            ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs ?? this.#timeoutMs)])
            : AbortSignal.timeout(opts.timeoutMs ?? this.#timeoutMs),
        });
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        const timedOut = (err as Error)?.name === 'TimeoutError';
        lastError = new WorkspaceError(
          'NODE_UNAVAILABLE',
          timedOut
            ? `the workspace at ${this.baseUrl} did not answer in time`
            : `cannot reach the workspace at ${this.baseUrl}: is the network running (npm start)?`,
          { cause: err },
        );
        continue;
      }
      const requestId = res.headers.get('x-request-id') ?? undefined;
      let body: unknown;
      try {
        body = await res.json();
      } catch (err) {
        lastError = new WorkspaceError('INTERNAL', `the workspace sent an unreadable answer (HTTP ${res.status})`, {
          requestId,
          httpStatus: res.status,
          cause: err,
        });
        if (res.status >= 500) continue;
        throw lastError;
      }
      if (res.ok) return body;
      const e = readErrorBody(body);
      lastError = e
        ? new WorkspaceError(e.code, e.message, { requestId, httpStatus: res.status, param: e.param, retryable: e.retryable === true })
        : new WorkspaceError('INTERNAL', `the workspace answered HTTP ${res.status} without an error body`, { requestId, httpStatus: res.status });
      if (res.status < 500 && !lastError.retryable) throw lastError;
    }
    throw lastError!;
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
