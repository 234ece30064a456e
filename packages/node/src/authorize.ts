import { APPROVAL_TTL_MS, FRESHNESS_MS, callDigest, type CallerAuth, type ComponentName, type ComponentParams } from '@wr/api';
import { WrError } from '@wr/common';
import { ApiKeyRegistry, type Db, type VerifiedCall } from '@wr/server';

/**
 * A node acts on a share only for a call a registered API key signed: checked
 * here against the node's own registry, with the scope the component needs,
 * within the freshness window, and once. Whatever relayed the call (the
 * workspace, or anyone holding its credential) can drop it or delay it, but
 * not make one up, change it, or use it twice.
 */
export class Authorizer {
  #lastSweep = 0;

  constructor(
    readonly registry: ApiKeyRegistry,
    private readonly db: Db,
  ) {}

  /**
   * The caller's signed call, if it is one of `components`, valid, unused for
   * `use` (one step a call authorises on this node: a keyId, a DKG session),
   * and either fresh or approved as this node's policy requires: a call the
   * policy holds for approvals runs only as a REQUEST_APPROVAL, with enough
   * admins' signed approvals of it.
   */
  authorize<C extends ComponentName>(
    auth: CallerAuth,
    components: readonly C[],
    use: string,
    approvals: readonly CallerAuth[] = [],
  ): VerifiedCall<C> & { params: ComponentParams<C>; approvedBy?: string[] } {
    const { consume, ...call } = this.authorizeBatch(auth, components, approvals);
    consume(use);
    return call;
  }

  /**
   * The same checks as authorize for a call that covers many items (a batch):
   * signature, scope and approvals once, for the whole signed call; and
   * `consume(use)` to spend it once per item (REPLAYED when that item's use
   * was spent), called by the caller inside the transaction that does the item.
   * A single call uses it too, to spend its use in the same commit as its
   * writes (GroupCommit) rather than in one of its own.
   */
  authorizeBatch<C extends ComponentName>(
    auth: CallerAuth,
    components: readonly C[],
    approvals: readonly CallerAuth[] = [],
  ): VerifiedCall<C> & { params: ComponentParams<C>; approvedBy?: string[]; consume: (use: string) => void } {
    const call = this.registry.verifyEffective(auth);
    if (!(components as readonly string[]).includes(call.component)) {
      throw new WrError('PERMISSION_DENIED', `the caller signed ${call.component}; this step needs ${components.join(' or ')}`);
    }
    ApiKeyRegistry.requireScope(call.caller, call.component);
    const required = this.registry.requiredApprovals(call.component);
    const approvedBy = call.viaApproval ? this.registry.approvers(auth, approvals) : [];
    if (required > 0) {
      if (approvedBy.length < required) {
        throw new WrError(
          'APPROVAL_REQUIRED',
          `${call.component} needs ${required} approvals by admin keys other than the requester's; this call has ${approvedBy.length}`,
        );
      }
    }
    const digest = callDigest(auth);
    const until = auth.timestamp + (call.viaApproval ? APPROVAL_TTL_MS : FRESHNESS_MS);
    const consume = (use: string) => this.#consume(`${digest} ${use}`, until);
    // The approvers go into the node's log beside the requester.
    return { ...call, ...(approvedBy.length > 0 ? { approvedBy } : {}), consume } as unknown as VerifiedCall<C> & {
      params: ComponentParams<C>;
      approvedBy?: string[];
      consume: (use: string) => void;
    };
  }

  /** Records a use; the record outlives the freshness window, after which the signature is refused as stale anyway. */
  #consume(id: string, until: number): void {
    const now = Date.now();
    if (now - this.#lastSweep > 60_000) {
      this.#lastSweep = now;
      this.db.prepare('DELETE FROM used_calls WHERE expires_at < ?').run(now - FRESHNESS_MS);
    }
    const r = this.db.prepare('INSERT OR IGNORE INTO used_calls (id, expires_at) VALUES (?, ?)').run(id, until + FRESHNESS_MS);
    if (r.changes === 0) throw new WrError('REPLAYED', 'this signed call was already used on this node: sign the call again');
  }
}
