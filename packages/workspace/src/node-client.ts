import { WrError, isErrorCode } from '@wr/common';
import type { NodeEndpoint } from './config.js';

export interface NodeKeys {
  nodeId: string;
  recipientKey: string;
  postQuantumRecipientKey: string;
  signingKey: string;
}

export interface ShareInfo {
  keyId: string;
  scheme: string;
  publicKey: string;
  identifier: string;
  minSigners: number;
  maxSigners: number;
  origin: 'generated' | 'imported';
  exportable: boolean;
  epoch: number;
  createdAt: string;
  publicPackage: string;
}

/**
 * The workspace's side of the channel to one node: bearer credential, a
 * timeout on every call, and the node's error codes passed through as they are.
 * A node that does not answer is NODE_UNAVAILABLE.
 */
export class NodeClient {
  constructor(
    readonly endpoint: NodeEndpoint,
    private readonly timeoutMs: number,
  ) {}

  get nodeId(): string {
    return this.endpoint.nodeId;
  }

  async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, requestId?: string): Promise<T> {
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
    const err = (json as { error?: { code?: unknown; message?: unknown; param?: unknown } }).error;
    if (res.status === 401) throw new WrError('INTERNAL', `node ${this.nodeId} refused the workspace's credential: check the network configuration`);
    if (err && isErrorCode(err.code) && typeof err.message === 'string') {
      throw new WrError(err.code, err.message, typeof err.param === 'string' ? { param: err.param } : undefined);
    }
    throw new WrError('NODE_UNAVAILABLE', `node ${this.nodeId} failed (HTTP ${res.status})`);
  }

  info(): Promise<NodeKeys & { shares: number }> {
    return this.request('GET', '/v1/info');
  }

  share(keyId: string): Promise<ShareInfo> {
    return this.request('GET', `/v1/shares/${keyId}`);
  }

  shares(): Promise<{ shares: ShareInfo[] }> {
    return this.request('GET', '/v1/shares');
  }
}
