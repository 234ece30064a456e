import { NODE_OPS, readErrorBody, type NodeOp, type NodeOpBody, type NodeOpParams, type NodeOpQuery, type NodeOpResponse, type ShareInfo } from '@wr/api';
import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector, request } from 'undici';
import { WrError } from '@wr/common';
import { peerFingerprint, type Admission, type TlsIdentity } from '@wr/server';
import type { NodeEndpoint } from './config.js';

export type { ShareInfo };

/**
 * Never refused for load: a probe asks whether the node answers, not whether it is busy, and these steps finish
 * or undo work the node already did (refusing them would leave it pending).
 */
const UNQUEUED: ReadonlySet<NodeOp> = new Set<NodeOp>(['info', 'dkgCommit', 'dkgAbort']);

/** How the workspace reaches nodes: its client certificate, and how long a connection may take to open. */
export interface NodeTransport {
  /** The workspace's TLS identity, presented to every node over https. */
  tls?: TlsIdentity;
  connectTimeoutMs: number;
}

/** A node answered at its address with a certificate other than the one pinned for it. */
class PinMismatch extends Error {
  constructor(readonly presented: string | undefined) {
    super('the node presented a certificate that is not pinned');
  }
}

/** The pinning failure behind a request's error (undici wraps the connector's), if that is what it was. */
function pinMismatchIn(err: unknown): PinMismatch | undefined {
  let cause: unknown = err;
  for (let i = 0; i < 4 && cause && !(cause instanceof PinMismatch); i++) cause = (cause as { cause?: unknown }).cause;
  return cause instanceof PinMismatch ? cause : undefined;
}

/**
 * The workspace's side of the channel to one node: mutual TLS with the node's
 * certificate pinned (by its SHA-256 fingerprint, from the signed roster), the
 * bearer credential on top, a keep-alive connection pool of its own, a bound on
 * connecting and on every call, and the node's error codes passed through as
 * they are. A node that does not answer in time is NODE_UNAVAILABLE. Requests to
 * the node go through `queue`: beyond its bound, RESOURCE_EXHAUSTED before
 * anything is sent.
 */
export class NodeClient {
  readonly #agent: Agent;

  constructor(
    readonly endpoint: NodeEndpoint,
    private readonly timeoutMs: number,
    readonly queue: Admission,
    transport: NodeTransport,
  ) {
    const pinned = endpoint.certFingerprint;
    // No CA: the node's certificate is self-signed and trusted only if its fingerprint is the pinned one.
    const connect = buildConnector({
      timeout: transport.connectTimeoutMs,
      rejectUnauthorized: false,
      // Every connection is a full handshake: a resumed session presents no certificate to check against the pin.
      maxCachedSessions: 0,
      ...(transport.tls && { key: transport.tls.key.expose(), cert: transport.tls.cert }),
    });
    this.#agent = new Agent({
      connections: 32,
      keepAliveTimeout: 30_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: (opts, callback) =>
        connect(opts, (err, socket) => {
          if (err || opts.protocol !== 'https:') return err ? callback(err, null) : callback(null, socket!);
          const presented = peerFingerprint(socket as TLSSocket);
          if (presented !== pinned) {
            socket!.destroy();
            return callback(new PinMismatch(presented), null);
          }
          callback(null, socket!);
        }),
    });
  }

  /** Closes the connection pool (the workspace is stopping). */
  close(): Promise<void> {
    return this.#agent.destroy();
  }

  get nodeId(): string {
    return this.endpoint.nodeId;
  }

  /** One operation of the node protocol (@wr/api NODE_OPS), typed by its contract. */
  call<K extends NodeOp>(
    op: K,
    args: { params?: NodeOpParams<K>; query?: NodeOpQuery<K>; body?: NodeOpBody<K> },
    requestId?: string,
  ): Promise<NodeOpResponse<K>> {
    const o: { method: 'GET' | 'POST'; path: string } = NODE_OPS[op];
    let path = o.path.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(String((args.params as Record<string, unknown> | undefined)?.[name])));
    const query = Object.entries((args.query ?? {}) as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (query.length > 0) path += '?' + new URLSearchParams(query.map(([k, v]) => [k, String(v)] as [string, string])).toString();
    const send = () => this.#request<NodeOpResponse<K>>(o.method, path, args.body, requestId);
    return UNQUEUED.has(op) ? send() : this.queue.run(send);
  }

  async #request<T>(method: 'GET' | 'POST', path: string, body?: unknown, requestId?: string, retried = false): Promise<T> {
    let status: number;
    let json: unknown;
    try {
      const res = await request(this.endpoint.url + path, {
        method,
        dispatcher: this.#agent,
        headers: {
          authorization: `Bearer ${this.endpoint.token.expose()}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(requestId ? { 'x-request-id': requestId } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.statusCode;
      try {
        json = await res.body.json();
      } catch (err) {
        if ((err as Error)?.name === 'SyntaxError') throw new WrError('NODE_UNAVAILABLE', `node ${this.nodeId} sent an unreadable answer (HTTP ${status})`);
        throw err;
      }
    } catch (err) {
      if (err instanceof WrError) throw err;
      // A read is tried once more on a connection that failed at once: a kept-alive connection can have gone stale while
      // the node was out of reach (it closed its side meanwhile), and the retry takes a fresh one. A write is never repeated.
      if (method === 'GET' && !retried && (err as { name?: string })?.name !== 'TimeoutError' && !pinMismatchIn(err))
        return this.#request<T>(method, path, body, requestId, true);
      throw this.#unavailable(err);
    }
    if (status >= 200 && status < 300) return json as T;
    if (status === 401) throw new WrError('INTERNAL', `node ${this.nodeId} refused the workspace's credential: check the network configuration`);
    const e = readErrorBody(json);
    if (e) throw new WrError(e.code, e.message, { ...(e.param !== undefined && { param: e.param }), retryable: e.retryable === true });
    throw new WrError('NODE_UNAVAILABLE', `node ${this.nodeId} failed (HTTP ${status})`);
  }

  /** NODE_UNAVAILABLE, saying why the node could not be reached (a pinning failure says which certificate). */
  #unavailable(err: unknown): WrError {
    const cause = pinMismatchIn(err);
    if (cause) {
      return new WrError(
        'NODE_UNAVAILABLE',
        `node ${this.nodeId} at ${this.endpoint.url} presented TLS certificate ${cause.presented ?? '(none)'}, not the one the roster pins ` +
          `(${this.endpoint.certFingerprint}): the connection was refused. Check the address, or sign a roster with the node's new fingerprint ` +
          '(wr node init prints it)',
      );
    }
    const why =
      (err as { name?: string })?.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : ((err as { code?: string })?.code ?? 'connection failed');
    return new WrError('NODE_UNAVAILABLE', `node ${this.nodeId} did not answer (${why}): check that it runs and is reachable, then retry`);
  }

  info() {
    return this.call('info', {});
  }

  share(keyId: string) {
    return this.call('getShare', { params: { keyId } });
  }

  /** A page of this node's shares in key id order, after `after`. */
  shares(after: string | undefined, limit: number) {
    return this.call('listShares', { query: { ...(after && { after }), limit: String(limit) } });
  }
}
