import { openRoster, type CallerAuth, type Roster, type RosterNode } from '@wr/api';
import { WrError } from '@wr/common';
import { Admission, checkAdmissionLimits, isLoopback } from '@wr/server';
import { DEFAULT_NODE_REQUEST_LIMITS, type NodeEndpoint, type WorkspaceConfig } from './config.js';
import { NodeClient, type ShareInfo } from './node-client.js';
import type { RegistryLog } from './registry-log.js';
import type { Sql, WorkspaceStore } from './store.js';

/**
 * The nodes the workspace coordinates and where each key share lives. A node's
 * keys never change, so they are fetched once and kept. The share index is a
 * cache of what nodes hold: a keyId missing from it is looked for on every node.
 */
export class Network {
  readonly clients: Map<string, NodeClient>;
  readonly roster: Roster;
  /** Nodes that hold the current roster. */
  #rosterHeld = new Set<string>();
  /** A share's public description never changes while it exists: cached until deleted or found missing. */
  #located = new Map<string, { client: NodeClient; share: ShareInfo }>();

  constructor(
    private readonly config: WorkspaceConfig,
    private readonly store: WorkspaceStore,
  ) {
    try {
      this.roster = openRoster(config.roster, config.adminPublicKey);
    } catch (err) {
      throw new WrError('CONFIG_INVALID', `roster: ${(err as Error).message}`, { param: 'roster', cause: err });
    }
    const unknown = config.nodes.filter((n) => !this.roster.nodes.some((r) => r.nodeId === n.nodeId));
    if (unknown.length > 0) {
      throw new WrError('CONFIG_INVALID', `nodes: ${unknown.map((n) => n.nodeId).join(', ')}: not in the signed roster`, { param: 'nodes' });
    }
    const limits = checkAdmissionLimits({ ...DEFAULT_NODE_REQUEST_LIMITS, ...config.nodeRequestLimits }, 'nodeRequestLimits');
    const timeoutMs = config.nodeTimeoutMs ?? 30_000;
    const transport = { ...(config.tls && { tls: config.tls }), connectTimeoutMs: Math.min(config.nodeConnectTimeoutMs ?? 5_000, timeoutMs) };
    this.clients = new Map(
      config.nodes.map((n) => [
        n.nodeId,
        new NodeClient(this.#pinned(n, config), timeoutMs, new Admission(n.nodeId, `requests to ${n.nodeId}`, limits), transport),
      ]),
    );
  }

  /**
   * The endpoint with its node's certificate fingerprint, from the signed roster (a fingerprint also given in the
   * config must be the same). Over https the fingerprint and the workspace's own certificate are required; plain http
   * only reaches a node on loopback.
   */
  #pinned(n: NodeEndpoint, config: WorkspaceConfig): NodeEndpoint {
    const listed = this.roster.nodes.find((r) => r.nodeId === n.nodeId)!.tlsCertFingerprint;
    const fail = (why: string) => new WrError('CONFIG_INVALID', `nodes: ${n.nodeId}: ${why}`, { param: 'nodes' });
    if (n.certFingerprint && listed && n.certFingerprint !== listed)
      throw fail(`the configured certificate fingerprint is not the one the signed roster lists`);
    const certFingerprint = listed ?? n.certFingerprint;
    let url: URL;
    try {
      url = new URL(n.url);
    } catch {
      throw fail(`${n.url} is not a URL`);
    }
    if (url.protocol === 'https:') {
      if (!certFingerprint) throw fail('reached over https, but the roster pins no certificate for it: add its tlsCertFingerprint (wr node init prints it)');
      if (!config.tls) throw fail('reached over https, but the workspace has no TLS client certificate');
    } else if (url.protocol !== 'http:' || !isLoopback(url.hostname.replace(/^\[|\]$/g, ''))) {
      throw fail(`${n.url}: a node beyond loopback is reached only over https (mutual TLS)`);
    }
    return { ...n, ...(certFingerprint && { certFingerprint }) };
  }

  /** Closes every node connection pool. */
  close(): Promise<void> {
    return Promise.all([...this.clients.values()].map((c) => c.close())).then(() => undefined);
  }

  /** Hands the signed roster to every node that does not hold it yet. */
  async pushRoster(): Promise<void> {
    await Promise.all(
      [...this.clients.values()]
        .filter((c) => !this.#rosterHeld.has(c.nodeId))
        .map(async (c) => {
          try {
            await c.call('roster', { body: { roster: this.config.roster } });
            this.#rosterHeld.add(c.nodeId);
          } catch {
            // Down: the next sweep tries again.
          }
        }),
    );
  }

  get defaultTarget(): string {
    return this.config.defaultTargetNode;
  }

  client(nodeId: string, param = 'nodeId'): NodeClient {
    const c = this.clients.get(nodeId);
    if (!c) throw new WrError('NOT_FOUND', `${param}: no node ${nodeId} in this network (LIST_NODES shows them)`, { param });
    return c;
  }

  /** A node's keys, as the signed roster pins them: never what the node's address answers. */
  keys(nodeId: string): RosterNode {
    this.client(nodeId);
    return this.roster.nodes.find((n) => n.nodeId === nodeId)!;
  }

  /** Every node's Ed25519 key: the exporters an import trusts. */
  signingKeys(): string[] {
    return this.roster.nodes.map((n) => n.signingKey);
  }

  /**
   * Applies an admin-signed registry or policy change here, keeps it, and
   * hands it to every node that answers (each checks it again).
   */
  async applyRegistryChange(registryLog: RegistryLog, change: CallerAuth): Promise<{ apiKeyId: string }> {
    const applied = await registryLog.accept(change);
    await this.syncRegistry();
    return applied;
  }

  #syncTail: Promise<void> = Promise.resolve();
  #syncQueued: Promise<void> | undefined;

  /**
   * Sends each node the registry changes it has not acknowledged, in order.
   * A node checks each change's admin signature itself; a change it refuses
   * (its signer revoked meanwhile, say) is refused for good and passed over.
   * Runs one at a time; a call while one runs waits for the next run, which
   * sees every change recorded before it.
   */
  syncRegistry(): Promise<void> {
    this.#syncQueued ??= this.#syncTail.then(() => {
      this.#syncQueued = undefined;
      return this.#syncOnce();
    });
    this.#syncTail = this.#syncQueued;
    return this.#syncQueued;
  }

  async #syncOnce(): Promise<void> {
    await Promise.all(
      [...this.clients.values()].map(async (client) => {
        const from = (await this.store.get<{ seq: number }>('SELECT seq FROM registry_synced WHERE node_id = ?', client.nodeId))?.seq ?? 0;
        const rows = await this.store.all<{ seq: number; change: string }>(
          'SELECT seq, change FROM registry_changes WHERE seq > ? ORDER BY seq LIMIT 500',
          from,
        );
        if (rows.length === 0) return;
        try {
          await client.call('registryChanges', { body: { changes: rows.map((r) => JSON.parse(r.change) as CallerAuth) } });
          // Replicas sync too: the mark only moves forward.
          await this.store.run(
            'INSERT INTO registry_synced (node_id, seq) VALUES (?, ?)' +
              ' ON CONFLICT (node_id) DO UPDATE SET seq = excluded.seq WHERE excluded.seq > registry_synced.seq',
            client.nodeId,
            rows[rows.length - 1]!.seq,
          );
        } catch {
          // Down, or busy: the next sweep sends the same changes again.
        }
      }),
    );
  }

  /** Records where a share lives; given a call that collects `durable` writes, staged as WorkspaceAuditLog.append stages. */
  async remember(keyId: string, nodeId: string, groupPublicKey: string, identifier: string, call?: { durable?: Promise<unknown>[] }): Promise<void> {
    const write = (tx: Sql) =>
      tx.run(
        'INSERT INTO shares (key_id, node_id, group_public_key, identifier, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key_id) DO UPDATE SET ' +
          'node_id = excluded.node_id, group_public_key = excluded.group_public_key, identifier = excluded.identifier, created_at = excluded.created_at',
        keyId,
        nodeId,
        groupPublicKey,
        identifier,
        new Date().toISOString(),
      );
    if (call?.durable && this.store.stage) call.durable.push((await this.store.stage('shares', write)).committed);
    else await write(this.store);
  }

  async forget(keyId: string): Promise<void> {
    this.#located.delete(keyId);
    await this.store.run('DELETE FROM shares WHERE key_id = ?', keyId);
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

  /**
   * Remembers in memory what a node answered of a share it now holds (a committed key generation, an import): its
   * description as getShare gives it, so the first call to use the share does not ask the node again.
   */
  learn(nodeId: string, s: ShareInfo): void {
    if (this.#located.size >= 100_000) this.#located.clear();
    const share: ShareInfo = {
      keyId: s.keyId,
      scheme: s.scheme,
      publicKey: s.publicKey,
      identifier: s.identifier,
      minSigners: s.minSigners,
      maxSigners: s.maxSigners,
      origin: s.origin,
      exportable: s.exportable,
      epoch: s.epoch,
      createdAt: s.createdAt,
      publicPackage: s.publicPackage,
    };
    this.#located.set(s.keyId, { client: this.client(nodeId), share });
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
    const row = await this.store.get<{ node_id: string }>('SELECT node_id FROM shares WHERE key_id = ?', keyId);
    if (row && this.clients.has(row.node_id)) {
      try {
        const client = this.client(row.node_id);
        return { client, share: await client.share(keyId) };
      } catch (err) {
        if (!(err instanceof WrError && err.code === 'NOT_FOUND')) throw err;
        await this.forget(keyId);
      }
    }
    const found = await Promise.allSettled([...this.clients.values()].map(async (client) => ({ client, share: await client.share(keyId) })));
    for (const f of found) {
      if (f.status === 'fulfilled') {
        await this.remember(keyId, f.value.client.nodeId, f.value.share.publicKey, f.value.share.identifier);
        return f.value;
      }
    }
    // Not found only if every node said so: one that did not answer, or was too busy to, may hold it.
    const unanswered = found.flatMap((f) => (f.status === 'rejected' && f.reason instanceof WrError && f.reason.code !== 'NOT_FOUND' ? [f.reason] : []));
    const busy = unanswered.find((e) => e.code === 'RESOURCE_EXHAUSTED');
    if (busy) throw busy;
    if (unanswered.some((e) => e.code === 'NODE_UNAVAILABLE'))
      throw new WrError('NODE_UNAVAILABLE', `key share ${keyId} was not found and some nodes did not answer: retry when they are up`);
    throw new WrError('NOT_FOUND', `keyId: no key share ${keyId} (LIST_KEYS shows the shares)`, { param: 'keyId' });
  }
}
