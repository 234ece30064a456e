import { NODE_OPS, readErrorBody, type NodeOp, type NodeOpBody, type NodeOpParams, type NodeOpQuery, type NodeOpResponse, type ShareInfo } from '@wr/api';
import { WrError } from '@wr/common';
import type { Admission } from '@wr/server';
import type { NodeEndpoint } from './config.js';

export type { ShareInfo };

/**
 * Never refused for load: a probe asks whether the node answers, not whether it is busy, and these steps finish
 * or undo work the node already did (refusing them would leave it pending).
 */
const UNQUEUED: ReadonlySet<NodeOp> = new Set<NodeOp>(['info', 'dkgCommit', 'dkgAbort']);

/**
 * The workspace's side of the channel to one node: bearer credential, a
 * timeout on every call, and the node's error codes passed through as they are.
 * A node that does not answer is NODE_UNAVAILABLE. Requests to the node go
 * through `queue`: beyond its bound, RESOURCE_EXHAUSTED before anything is sent.
 */
export class NodeClient {
  constructor(
    readonly endpoint: NodeEndpoint,
    private readonly timeoutMs: number,
    readonly queue: Admission,
  ) {}

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

  async #request<T>(method: 'GET' | 'POST', path: string, body?: unknown, requestId?: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.endpoint.url + path, {
        method,
        headers: {
          authorization: `Bearer ${this.endpoint.token.expose()}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(requestId ? { 'x-request-id': requestId } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch {
      throw new WrError('NODE_UNAVAILABLE', `node ${this.nodeId} did not answer: check that it runs, then retry`);
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      throw new WrError('NODE_UNAVAILABLE', `node ${this.nodeId} sent an unreadable answer (HTTP ${res.status})`);
    }
    if (res.ok) return json as T;
    if (res.status === 401) throw new WrError('INTERNAL', `node ${this.nodeId} refused the workspace's credential: check the network configuration`);
    const err = readErrorBody(json);
    if (err) throw new WrError(err.code, err.message, { ...(err.param !== undefined && { param: err.param }), retryable: err.retryable === true });
    throw new WrError('NODE_UNAVAILABLE', `node ${this.nodeId} failed (HTTP ${res.status})`);
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
