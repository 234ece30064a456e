import { WrError } from '@wr/common';
import type { Db } from '@wr/server';
import type { WorkspaceConfig } from './config.js';
import { NodeClient, type NodeKeys, type ShareInfo } from './node-client.js';

/**
 * The nodes the workspace coordinates and where each key share lives. A node's
 * keys never change, so they are fetched once and kept. The share index is a
 * cache of what nodes hold: a keyId missing from it is looked for on every node.
 */
export class Network {
  readonly clients: Map<string, NodeClient>;
  #keys = new Map<string, NodeKeys>();
  /** A share's public description never changes while it exists: cached until deleted or found missing. */
  #located = new Map<string, { client: NodeClient; share: ShareInfo }>();

  constructor(
    private readonly config: WorkspaceConfig,
    private readonly db: Db,
  ) {
    this.clients = new Map(config.nodes.map((n) => [n.nodeId, new NodeClient(n, config.nodeTimeoutMs ?? 30_000)]));
  }

  get defaultTarget(): string {
    return this.config.defaultTargetNode;
  }

  client(nodeId: string, param = 'nodeId'): NodeClient {
    const c = this.clients.get(nodeId);
    if (!c) throw new WrError('NOT_FOUND', `${param}: no node ${nodeId} in this network (LIST_NODES shows them)`, { param });
    return c;
  }

  async keys(nodeId: string): Promise<NodeKeys> {
    const known = this.#keys.get(nodeId);
    if (known) return known;
    const info = await this.client(nodeId).info();
    this.#keys.set(nodeId, info);
    return info;
  }

  /** Every node's Ed25519 key: the exporters an import trusts. */
  async signingKeys(): Promise<string[]> {
    const all = await Promise.allSettled([...this.clients.keys()].map((id) => this.keys(id)));
    return all.flatMap((r) => (r.status === 'fulfilled' ? [r.value.signingKey] : []));
  }

  remember(keyId: string, nodeId: string, groupPublicKey: string, identifier: string): void {
    this.db
      .prepare('INSERT OR REPLACE INTO shares (key_id, node_id, group_public_key, identifier, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(keyId, nodeId, groupPublicKey, identifier, new Date().toISOString());
  }

  forget(keyId: string): void {
    this.#located.delete(keyId);
    this.db.prepare('DELETE FROM shares WHERE key_id = ?').run(keyId);
  }

  /** Runs `fn`; a NOT_FOUND from a node drops the cached locations of `keyIds` (deleted behind our back). */
  async forgettingOnNotFound<T>(keyIds: readonly string[], fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WrError && err.code === 'NOT_FOUND') keyIds.forEach((k) => this.#located.delete(k));
      throw err;
    }
  }

  /** The node that holds a key share, and the share's public description. */
  async locate(keyId: string): Promise<{ client: NodeClient; share: ShareInfo }> {
    const cached = this.#located.get(keyId);
    if (cached) return cached;
    const found = await this.#find(keyId);
    if (this.#located.size >= 100_000) this.#located.clear();
    this.#located.set(keyId, found);
    return found;
  }

  async #find(keyId: string): Promise<{ client: NodeClient; share: ShareInfo }> {
    const row = this.db.prepare('SELECT node_id FROM shares WHERE key_id = ?').get(keyId) as { node_id: string } | undefined;
    if (row && this.clients.has(row.node_id)) {
      try {
        const client = this.client(row.node_id);
        return { client, share: await client.share(keyId) };
      } catch (err) {
        if (!(err instanceof WrError && err.code === 'NOT_FOUND')) throw err;
        this.forget(keyId);
      }
    }
    const found = await Promise.allSettled([...this.clients.values()].map(async (client) => ({ client, share: await client.share(keyId) })));
    for (const f of found) {
      if (f.status === 'fulfilled') {
        this.remember(keyId, f.value.client.nodeId, f.value.share.publicKey, f.value.share.identifier);
        return f.value;
      }
    }
    const down = found.some((f) => f.status === 'rejected' && f.reason instanceof WrError && f.reason.code === 'NODE_UNAVAILABLE');
    if (down) throw new WrError('NODE_UNAVAILABLE', `key share ${keyId} was not found and some nodes did not answer: retry when they are up`);
    throw new WrError('NOT_FOUND', `keyId: no key share ${keyId} (LIST_KEYS shows the shares)`, { param: 'keyId' });
  }
}
