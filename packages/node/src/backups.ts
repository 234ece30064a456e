import type { FastifyInstance } from 'fastify';
import { parseParams, sha256Hex, type CallerAuth, type ComponentParams, type NodeOpResponse } from '@wr/api';
import { recipientKind } from '@wr/age';
import { WrError } from '@wr/common';
import { ApiKeyRegistry, type Db } from '@wr/server';
import type { NodeContext } from './context.js';
import { route } from './routes/route.js';
import { receiptFor, requireCommitted, wrapOwnShare } from './routes/shares.js';

interface PolicyRow {
  recipients: string;
  auth: string;
  signed_at: number;
  requester: string;
}

interface BackupRow {
  key_id: string;
  identifier: string;
  epoch: number;
  recipients: string;
  wrapped: string;
  wrapped_sha256: string;
  created_at: string;
}

type NodeBackups = NodeOpResponse<'listBackups'>;

const policyOf = (db: Db, groupPublicKey: string) =>
  db.prepare('SELECT recipients, auth, signed_at, requester FROM backup_policies WHERE group_public_key = ?').get(groupPublicKey) as PolicyRow | undefined;

const backupOf = (db: Db, groupPublicKey: string) =>
  db
    .prepare('SELECT key_id, identifier, epoch, recipients, wrapped, wrapped_sha256, created_at FROM backups WHERE group_public_key = ?')
    .get(groupPublicKey) as BackupRow | undefined;

/** What this node tells of a key's backups: its share's epoch, the policy's recipients, and its latest backup with its export receipt. */
function describe(ctx: NodeContext, groupPublicKey: string): NodeBackups {
  const share = ctx.store.byGroupKey(groupPublicKey);
  const b = backupOf(ctx.store.db, groupPublicKey);
  if (!share) throw new WrError('NOT_FOUND', `no share of key ${groupPublicKey} on ${ctx.config.nodeId}`);
  const policy = policyOf(ctx.store.db, groupPublicKey);
  const recipients = policy ? (JSON.parse(policy.recipients) as string[]) : [];
  // A backup of another share (one deleted since) or of another epoch is not this share's backup.
  const current = b && b.key_id === share.keyId && b.identifier === share.identifier ? b : undefined;
  return {
    epoch: share.epoch,
    recipients,
    ...(current && {
      backup: {
        identifier: current.identifier,
        epoch: current.epoch,
        wrappedKeyShare: current.wrapped,
        recipients: JSON.parse(current.recipients) as string[],
        createdAt: current.created_at,
        receipt: receiptFor(ctx, {
          kind: 'export',
          nodeId: ctx.config.nodeId,
          keyId: current.key_id,
          recipients: JSON.parse(current.recipients) as string[],
          wrappedSha256: current.wrapped_sha256,
        }),
      },
    }),
  };
}

/**
 * The signer of a stored policy may still make it act: its API key live, its
 * signature good (not fresh: it was checked fresh when it came), with the
 * scope the policy needs. Revoking the key stops its backups.
 */
function policyStillAuthorised(ctx: NodeContext, policy: PolicyRow): boolean {
  try {
    const auth = JSON.parse(policy.auth) as CallerAuth;
    const caller = ctx.authorizer.registry.verifySignature(auth, { fresh: false });
    ApiKeyRegistry.requireScope(caller, 'SET_BACKUP_POLICY');
    return true;
  } catch {
    return false;
  }
}

/**
 * Exports this node's current share of a key to its backup policy's
 * recipients, unless the latest backup already is of this share, epoch and
 * recipients. Nothing happens with no policy, an empty one, or no share. The
 * hook after every change of a share: DKG commit, refresh commit, and reshare
 * or repair. Never throws: a failure is logged (`backup.failed`), and the next
 * change, or the policy set again, tries again; the share itself is never at
 * stake.
 */
export async function refreshBackups(ctx: NodeContext, groupPublicKey: string): Promise<void> {
  try {
    await exportBackup(ctx, groupPublicKey);
  } catch (err) {
    ctx.log.append('node', 'backup.failed', { publicKey: groupPublicKey, code: err instanceof WrError ? err.code : 'INTERNAL' });
  }
}

/**
 * At start: brings every key's backup up to its share, for a node that stopped
 * between a commit and its backup. Keys one at a time, in the background.
 */
export async function resumeBackups(ctx: NodeContext): Promise<void> {
  const keys = ctx.store.db.prepare("SELECT group_public_key FROM backup_policies WHERE recipients != '[]'").all() as { group_public_key: string }[];
  for (const k of keys) await refreshBackups(ctx, k.group_public_key);
}

async function exportBackup(ctx: NodeContext, groupPublicKey: string): Promise<void> {
  const { store } = ctx;
  const policy = policyOf(store.db, groupPublicKey);
  const row = store.byGroupKey(groupPublicKey);
  if (!policy || !row || store.isPending(row.keyId)) return;
  const recipients = JSON.parse(policy.recipients) as string[];
  if (recipients.length === 0 || !row.exportable) return;
  const latest = backupOf(store.db, groupPublicKey);
  if (latest && latest.key_id === row.keyId && latest.epoch === row.epoch && latest.recipients === policy.recipients) return;
  if (!policyStillAuthorised(ctx, policy)) {
    throw new WrError('PERMISSION_DENIED', `the backup policy of ${groupPublicKey} was signed by ${policy.requester}, which is revoked or lost the scope`);
  }
  const wrapped = await wrapOwnShare(ctx, row, recipients);
  // One statement, under a check that the share did not move on meanwhile and no newer backup came first: a crash leaves the old row or the new.
  const written = store.db
    .transaction(() => {
      const now = store.get(row.keyId);
      if (!now || now.epoch !== row.epoch) return false;
      return (
        store.db
          .prepare(
            `INSERT INTO backups (group_public_key, key_id, identifier, epoch, recipients, wrapped, wrapped_sha256, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (group_public_key) DO UPDATE SET key_id = excluded.key_id, identifier = excluded.identifier, epoch = excluded.epoch,
               recipients = excluded.recipients, wrapped = excluded.wrapped, wrapped_sha256 = excluded.wrapped_sha256, created_at = excluded.created_at`,
          )
          .run(groupPublicKey, row.keyId, row.identifier, row.epoch, policy.recipients, wrapped, sha256Hex(wrapped), new Date().toISOString()).changes === 1
      );
    })
    .immediate();
  if (written) {
    ctx.log.append(policy.requester, 'backup.export', {
      keyId: row.keyId,
      publicKey: groupPublicKey,
      identifier: row.identifier,
      epoch: row.epoch,
      recipients,
      wrappedSha256: sha256Hex(wrapped),
    });
  }
}

/** The signed SET_BACKUP_POLICY call this node keeps for a key, for a dealer to hand to the key's new holders. */
export function keptPolicy(ctx: NodeContext, groupPublicKey: string): CallerAuth | undefined {
  const p = policyOf(ctx.store.db, groupPublicKey);
  return p && (JSON.parse(p.auth) as CallerAuth);
}

/** What a dealer's signed statement says of the policy it hands on: the digest of the signed call, '-' for none. */
export const policyDigest = (auth: CallerAuth | undefined): string => (auth ? sha256Hex(JSON.stringify(auth)) : '-');

/** Keeps a key's policy, replacing the one kept. */
function keepPolicy(db: Db, publicKey: string, recipients: string[], auth: CallerAuth, requester: string): void {
  db.prepare(
    `INSERT INTO backup_policies (group_public_key, recipients, auth, signed_at, requester, set_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (group_public_key) DO UPDATE SET recipients = excluded.recipients, auth = excluded.auth, signed_at = excluded.signed_at,
       requester = excluded.requester, set_at = excluded.set_at`,
  ).run(publicKey, JSON.stringify(recipients), JSON.stringify(auth), auth.timestamp, requester, new Date().toISOString());
}

/**
 * A new holder of a key (after a reshare) takes the key's backup policy from
 * its dealers, each of which signed the digest of the policy it handed on: the
 * one signed last, its signer's call checked here too (a live key with the
 * scope, a SET_BACKUP_POLICY of this key, possibly approved), unless this node
 * keeps one signed later. Its backup is made at commit, as for every holder.
 * Never throws: a policy refused here (its signer revoked, say) is logged
 * (`backup.failed`) and the share itself is not at stake, as in refreshBackups.
 */
export function adoptBackupPolicy(ctx: NodeContext, groupPublicKey: string, handed: CallerAuth[]): void {
  try {
    adopt(ctx, groupPublicKey, handed);
  } catch (err) {
    ctx.log.append('node', 'backup.failed', { publicKey: groupPublicKey, code: err instanceof WrError ? err.code : 'INTERNAL' });
  }
}

function adopt(ctx: NodeContext, groupPublicKey: string, handed: CallerAuth[]): void {
  const auth = [...handed].sort((a, b) => b.timestamp - a.timestamp)[0];
  if (!auth) return;
  const kept = policyOf(ctx.store.db, groupPublicKey);
  if (kept && kept.signed_at >= auth.timestamp) return;
  const v = ctx.authorizer.registry.verify(auth, { fresh: false });
  const inner =
    v.component === 'REQUEST_APPROVAL' ? (v.params as ComponentParams<'REQUEST_APPROVAL'>) : { component: v.component as string, params: v.params as unknown };
  if (inner.component !== 'SET_BACKUP_POLICY') throw new WrError('PERMISSION_DENIED', `a dealer handed on a ${inner.component} call as a backup policy`);
  const params = parseParams('SET_BACKUP_POLICY', JSON.stringify(inner.params ?? {})) as ComponentParams<'SET_BACKUP_POLICY'>;
  if (params.publicKey !== groupPublicKey) throw new WrError('PERMISSION_DENIED', `a dealer handed on the backup policy of another key`);
  ApiKeyRegistry.requireScope(v.caller, 'SET_BACKUP_POLICY');
  checkRecipients(params.recipients);
  keepPolicy(ctx.store.db, groupPublicKey, params.recipients, auth, v.caller.apiKeyId);
  ctx.log.append(v.caller.apiKeyId, 'backup.policy', { publicKey: groupPublicKey, recipients: params.recipients, handedOn: true });
}

/** Recipients every backup can be wrapped to: each a well-formed age recipient, all of one kind (age refuses a mix: see @wr/age wrap). */
function checkRecipients(recipients: string[]): void {
  const kinds = new Set(recipients.map((r, i) => recipientKind(r, `recipients[${i}]`)));
  if (kinds.size > 1) {
    throw new WrError(
      'INVALID_ARGUMENT',
      'recipients: mixes post-quantum (age1pq1...) and X25519 (age1...) recipients; a backup would be only as strong as X25519: use one kind',
      { param: 'recipients' },
    );
  }
}

/**
 * SET_BACKUP_POLICY on a holder: the caller's signed call, checked here
 * (signature, scope, freshness, unused, approvals if the policy holds it), for
 * the key in it; the relay chooses neither the key nor the recipients. A
 * policy signed before the one kept is refused, so a withheld older call
 * cannot be played after a newer one; the call in force, sent again, changes
 * nothing and gets the same answer (so a relay can retry). The backup is made at once.
 */
export function backupRoutes(app: FastifyInstance, ctx: NodeContext): void {
  const { store, authorizer, config } = ctx;

  route(app, 'setBackupPolicy', async (req) => {
    const { publicKey } = req.params;
    // The very call in force already (a retry after a lost answer, or a relay playing it again): nothing changes, the same answer.
    const inForce = policyOf(store.db, publicKey);
    if (inForce && !req.body.approvals && inForce.auth === JSON.stringify(req.body.auth)) {
      await refreshBackups(ctx, publicKey);
      return describe(ctx, publicKey);
    }
    const { params, caller, approvedBy, auth } = authorizer.authorize(req.body.auth, ['SET_BACKUP_POLICY'], `backup-policy ${publicKey}`, req.body.approvals);
    if (params.publicKey !== publicKey) throw new WrError('PERMISSION_DENIED', `the caller set the backup policy of ${params.publicKey}, not ${publicKey}`);
    checkRecipients(params.recipients);
    const row = store.byGroupKey(publicKey);
    if (!row) throw new WrError('NOT_FOUND', `no share of key ${publicKey} on ${config.nodeId}`);
    requireCommitted(ctx, row.keyId);
    if (!row.exportable && params.recipients.length > 0) {
      throw new WrError('NOT_EXPORTABLE', `key share ${row.keyId} was created with exportable: false: it has no backups`);
    }
    const kept = policyOf(store.db, publicKey);
    if (kept && kept.signed_at > auth.timestamp) {
      throw new WrError('CONFLICT', `a backup policy of ${publicKey} signed later is already in force: sign the policy again`);
    }
    keepPolicy(store.db, publicKey, params.recipients, auth, caller.apiKeyId);
    ctx.log.append(caller.apiKeyId, 'backup.policy', {
      ...(approvedBy && { approvedBy }),
      keyId: row.keyId,
      publicKey,
      identifier: row.identifier,
      recipients: params.recipients,
    });
    // The policy is kept whatever happens next: a backup that fails now is missing from the answer (and logged), and made at the next change.
    await ctx.steps.run(() => refreshBackups(ctx, publicKey)).catch(() => undefined);
    return describe(ctx, publicKey);
  });

  route(app, 'listBackups', async (req) => describe(ctx, req.params.publicKey));
}
