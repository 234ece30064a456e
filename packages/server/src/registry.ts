import {
  APPROVAL_TTL_MS,
  COMPONENTS,
  FRESHNESS_MS,
  SCOPES,
  apiKeyIdOf,
  callDigest,
  callMessage,
  isComponent,
  parseParams,
  policyComponent,
  type CallerAuth,
  type ComponentName,
  type ComponentParams,
} from '@wr/api';
import { WrError, fromHex, isHex, verifyRaw } from '@wr/common';
import type { Db } from './database.js';

/**
 * The API-key registry: public keys and their scopes. The workspace and every
 * node each keep their own copy, and change it only by applying a change an
 * admin key signed (CREATE_API_KEY, REVOKE_API_KEY as the admin sent them), so
 * a relay that forges a change, or widens a key's scopes, changes nothing.
 * The root admin key is given to each server when it is set up. Applying a
 * change twice, or in another order, ends in the same registry: a key id is
 * its public key's hash, and a revoked key stays revoked.
 *
 * The tables' SQL is frozen: see migrations.ts.
 */
export const REGISTRY_SCHEMA = `
CREATE TABLE IF NOT EXISTS api_key_registry (
  api_key_id TEXT PRIMARY KEY,
  public_key TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS network_policy (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  approvals TEXT NOT NULL,
  signed_at INTEGER NOT NULL
) STRICT;
`;

export type ApprovalPolicy = ComponentParams<'SET_POLICY'>['approvals'];

export interface Caller {
  apiKeyId: string;
  name: string;
  scopes: ReadonlySet<string>;
}

export interface RegisteredKey extends Caller {
  publicKey: string;
  createdBy: string;
  createdAt: string;
  revoked: boolean;
}

interface Row {
  api_key_id: string;
  public_key: string;
  name: string;
  scopes: string;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}

const toKey = (r: Row): RegisteredKey => ({
  apiKeyId: r.api_key_id,
  publicKey: r.public_key,
  name: r.name,
  scopes: new Set(JSON.parse(r.scopes) as string[]),
  createdBy: r.created_by,
  createdAt: r.created_at,
  revoked: r.revoked_at !== null,
});

/** The signed call, checked: its signer, and its parameters parsed from the very bytes signed. */
export interface VerifiedCall<C extends ComponentName = ComponentName> {
  caller: Caller;
  component: C;
  params: ComponentParams<C>;
  auth: CallerAuth;
}

export class ApiKeyRegistry {
  readonly rootKeyId: string;
  #cache = new Map<string, RegisteredKey | null>();
  /** Read on every call: kept in memory, and read again only when a policy change is applied. */
  #policy: ApprovalPolicy | undefined;

  constructor(
    private readonly db: Db,
    rootPublicKey: string,
  ) {
    if (!isHex(rootPublicKey, 32)) throw new Error('the root admin public key must be 64 hex digits');
    this.rootKeyId = apiKeyIdOf(rootPublicKey);
    const root = db.prepare("SELECT public_key FROM api_key_registry WHERE created_by = 'setup'").get() as { public_key: string } | undefined;
    if (root && root.public_key !== rootPublicKey) {
      throw new Error(`this server was set up with the admin key ${apiKeyIdOf(root.public_key)}, not ${this.rootKeyId}: the root admin key cannot change`);
    }
    db.prepare(
      `INSERT OR IGNORE INTO api_key_registry (api_key_id, public_key, name, scopes, created_by, created_at) VALUES (?, ?, 'root admin', ?, 'setup', ?)`,
    ).run(this.rootKeyId, rootPublicKey, JSON.stringify(SCOPES), new Date().toISOString());
  }

  get(apiKeyId: string): RegisteredKey | undefined {
    let k = this.#cache.get(apiKeyId);
    if (k === undefined) {
      const r = this.db.prepare('SELECT * FROM api_key_registry WHERE api_key_id = ?').get(apiKeyId) as Row | undefined;
      k = r ? toKey(r) : null;
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(apiKeyId, k);
    }
    return k ?? undefined;
  }

  /** Up to `limit` keys in id order, after the id `after` when given (a keyset page). */
  list(after: string | undefined, limit: number): RegisteredKey[] {
    return (this.db.prepare('SELECT * FROM api_key_registry WHERE api_key_id > ? ORDER BY api_key_id LIMIT ?').all(after ?? '', limit) as Row[]).map(toKey);
  }

  /** The live key that claims a call, before its body is read. */
  signer(apiKeyId: unknown): RegisteredKey {
    const k = typeof apiKeyId === 'string' ? this.get(apiKeyId) : undefined;
    if (!k || k.revoked) throw new WrError('UNAUTHENTICATED', 'the API key is not registered or was revoked: check WR_API_KEY');
    return k;
  }

  /**
   * Checks a signed call: a live key, a valid signature over the exact body,
   * and (unless `fresh` is false, for registry changes replayed to a server
   * that was down) a time within FRESHNESS_MS of this server's clock.
   */
  verify(auth: CallerAuth, opts: { fresh?: boolean; now?: number } = {}): VerifiedCall {
    const caller = this.verifySignature(auth, opts);
    const component = auth.component as ComponentName;
    return { caller, component, params: parseParams(component, auth.body), auth };
  }

  /** `verify` without reading the parameters: the signer of a call whose body is checked elsewhere. */
  verifySignature(auth: CallerAuth, opts: { fresh?: boolean; now?: number } = {}): RegisteredKey {
    const key = this.signer(auth.apiKeyId);
    if (opts.fresh !== false) checkFresh(auth.timestamp, opts.now ?? Date.now());
    if (!isComponent(auth.component)) throw new WrError('INVALID_ARGUMENT', `no component ${auth.component}`, { param: 'component' });
    let sig: Uint8Array;
    try {
      sig = fromHex(auth.signature, 'signature', 64);
    } catch {
      throw new WrError('UNAUTHENTICATED', 'the call signature is malformed');
    }
    if (!verifyRaw(fromHex(key.publicKey, 'publicKey', 32), callMessage(auth), sig)) {
      throw new WrError('UNAUTHENTICATED', 'the call signature does not verify: the request was changed on its way, or signed with another key');
    }
    return key;
  }

  /** The policy in force: set only by the root admin key, the latest signed one winning. */
  policy(): ApprovalPolicy {
    if (!this.#policy) {
      const r = this.db.prepare('SELECT approvals FROM network_policy WHERE id = 1').get() as { approvals: string } | undefined;
      this.#policy = r ? (JSON.parse(r.approvals) as ApprovalPolicy) : [];
    }
    return this.#policy;
  }

  requiredApprovals(component: string): number {
    const held = policyComponent(component);
    return this.policy().find((p) => p.component === held)?.approvals ?? 0;
  }

  /**
   * The admin keys whose signed APPROVE_REQUEST names this request (by its
   * digest), within APPROVAL_TTL_MS: each counted once, the requester never.
   */
  approvers(request: CallerAuth, approvals: readonly CallerAuth[], now = Date.now()): string[] {
    const id = approvalRequestIdOf(request);
    const approvers = new Set<string>();
    for (const a of approvals) {
      try {
        const v = this.verify(a, { fresh: false });
        const p = v.params as ComponentParams<'APPROVE_REQUEST'>;
        if (v.component !== 'APPROVE_REQUEST' || p.approvalRequestId !== id) continue;
        if (!v.caller.scopes.has('admin') || v.caller.apiKeyId === request.apiKeyId || now - a.timestamp > APPROVAL_TTL_MS) continue;
        approvers.add(v.caller.apiKeyId);
      } catch {
        // Not a valid approval: it counts for nothing.
      }
    }
    return [...approvers];
  }

  /**
   * A signed call as what it asks for: a REQUEST_APPROVAL stands for the call
   * inside it (checked against that call's own schema), and may be up to
   * APPROVAL_TTL_MS old; anything else must be fresh.
   */
  verifyEffective(auth: CallerAuth, now = Date.now()): VerifiedCall & { viaApproval: boolean } {
    if (auth.component !== 'REQUEST_APPROVAL') return { ...this.verify(auth, { now }), viaApproval: false };
    const outer = this.verify(auth, { fresh: false });
    if (now - auth.timestamp > APPROVAL_TTL_MS || auth.timestamp - now > FRESHNESS_MS) {
      throw new WrError('UNAUTHENTICATED', 'the approval request is more than 24 hours old: request it again');
    }
    const p = outer.params as ComponentParams<'REQUEST_APPROVAL'>;
    return { caller: outer.caller, component: p.component, params: parseParams(p.component, JSON.stringify(p.params ?? {})), auth, viaApproval: true };
  }

  /** Requires the scope a component needs. */
  static requireScope(caller: Caller, component: ComponentName): void {
    const scope = COMPONENTS[component].scope;
    if (!caller.scopes.has(scope)) {
      throw new WrError('PERMISSION_DENIED', `this API key lacks the ${scope} scope: an admin grants it (wr apikeys create --scope ${scope})`);
    }
  }

  /**
   * Applies a registry change an admin signed. Returns what it names and
   * whether this registry changed (false when it was applied before).
   * `at` dates the change (default now): copies that replay one log give it the
   * time it was first applied, so they agree.
   */
  /**
   * Runs `fn`, whose changes here count only if it succeeds (this registry is
   * then a copy of a log kept elsewhere, and `fn` commits to that log): if it
   * throws, every change made here meanwhile is undone and cached reads are
   * dropped. One at a time.
   */
  async tentatively<T>(fn: () => Promise<T>): Promise<T> {
    this.db.exec('SAVEPOINT tentative');
    try {
      const result = await fn();
      this.db.exec('RELEASE tentative');
      return result;
    } catch (err) {
      this.db.exec('ROLLBACK TO tentative');
      this.db.exec('RELEASE tentative');
      this.#cache.clear();
      this.#policy = undefined;
      throw err;
    }
  }

  apply(change: CallerAuth, at = new Date().toISOString()): { apiKeyId: string; changed: boolean } {
    const call = this.verify(change, { fresh: false });
    ApiKeyRegistry.requireScope(call.caller, call.component);
    const now = at;
    if (call.component === 'CREATE_API_KEY') {
      const p = call.params as ComponentParams<'CREATE_API_KEY'>;
      const missing = p.scopes.filter((s) => !call.caller.scopes.has(s));
      if (missing.length > 0) throw new WrError('PERMISSION_DENIED', `an API key grants only scopes it holds; this one lacks ${missing.join(', ')}`);
      const apiKeyId = apiKeyIdOf(p.publicKey);
      const r = this.db
        .prepare('INSERT OR IGNORE INTO api_key_registry (api_key_id, public_key, name, scopes, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(apiKeyId, p.publicKey, p.name, JSON.stringify(p.scopes), call.caller.apiKeyId, now);
      this.#cache.delete(apiKeyId);
      return { apiKeyId, changed: r.changes === 1 };
    }
    if (call.component === 'SET_POLICY') {
      if (call.caller.apiKeyId !== this.rootKeyId) throw new WrError('PERMISSION_DENIED', 'only the root admin key sets the network policy');
      const { approvals } = call.params as ComponentParams<'SET_POLICY'>;
      const r = this.db
        .prepare(
          `INSERT INTO network_policy (id, approvals, signed_at) VALUES (1, ?, ?)
           ON CONFLICT (id) DO UPDATE SET approvals = excluded.approvals, signed_at = excluded.signed_at WHERE excluded.signed_at > network_policy.signed_at`,
        )
        .run(JSON.stringify(approvals), change.timestamp);
      this.#policy = undefined;
      return { apiKeyId: call.caller.apiKeyId, changed: r.changes === 1 };
    }
    if (call.component === 'REVOKE_API_KEY') {
      const { apiKeyId } = call.params as ComponentParams<'REVOKE_API_KEY'>;
      if (apiKeyId === this.rootKeyId)
        throw new WrError('INVALID_ARGUMENT', 'apiKeyId: the root admin key cannot be revoked; it is set when the network is set up', { param: 'apiKeyId' });
      if (!this.get(apiKeyId)) throw new WrError('NOT_FOUND', `no API key ${apiKeyId}`, { param: 'apiKeyId' });
      const r = this.db.prepare('UPDATE api_key_registry SET revoked_at = ? WHERE api_key_id = ? AND revoked_at IS NULL').run(now, apiKeyId);
      this.#cache.delete(apiKeyId);
      return { apiKeyId, changed: r.changes === 1 };
    }
    throw new WrError('INVALID_ARGUMENT', `${call.component} is not a registry or policy change`, { param: 'component' });
  }
}

export function checkFresh(timestamp: number, now: number): void {
  if (!Number.isSafeInteger(timestamp) || Math.abs(now - timestamp) > FRESHNESS_MS) {
    throw new WrError(
      'UNAUTHENTICATED',
      `the call was signed at a time more than ${FRESHNESS_MS / 60_000} minutes from this server's clock: check the clocks, then call again`,
    );
  }
}

/** An approval request is named by the digest of the signed REQUEST_APPROVAL call. */
export function approvalRequestIdOf(request: CallerAuth): string {
  return `apr_${callDigest(request)}`;
}
