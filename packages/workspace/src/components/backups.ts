import type { ComponentResult, NodeOpResponse } from '@wr/api';
import { WrError } from '@wr/common';
import { decodePublicKeyPackage } from '@wr/crypto';
import { signedBody, type WorkspaceContext } from '../context.js';
import type { NodeClient } from '../node-client.js';
import type { Handlers } from './types.js';

type Backup = ComponentResult<'LIST_BACKUPS'>['backups'][number];

/** One node's answer as a backup of the list, if it made one. */
const backupOf = (nodeId: string, r: NodeOpResponse<'listBackups'>): Backup[] => (r.backup ? [{ nodeId, ...r.backup }] : []);

/** Asks every node; a node with no share of the key (NOT_FOUND) is no holder, one that does not answer is named. */
async function askEveryNode<T>(ws: WorkspaceContext, ask: (c: NodeClient) => Promise<T>) {
  const clients = [...ws.network.clients.values()];
  const settled = await Promise.allSettled(clients.map(ask));
  const answers: { client: NodeClient; value: T }[] = [];
  const unavailableNodes: string[] = [];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') answers.push({ client: clients[i]!, value: s.value });
    else if (s.reason instanceof WrError && s.reason.code === 'NOT_FOUND') return;
    else if (s.reason instanceof WrError && s.reason.code === 'NODE_UNAVAILABLE') unavailableNodes.push(clients[i]!.nodeId);
    else throw s.reason;
  });
  return { answers, unavailableNodes };
}

export const backupComponents: Pick<Handlers, 'SET_BACKUP_POLICY' | 'LIST_BACKUPS'> = {
  /**
   * Relays the caller's signed policy to every holder of the key; each checks
   * it itself, keeps it, and exports its share to the recipients at once. Every
   * holder must take it: a holder left without the policy would make no backup.
   */
  async SET_BACKUP_POLICY(ws, call, p) {
    const { answers: holders, unavailableNodes } = await askEveryNode(ws, (c) => c.call('findShare', { params: { publicKey: p.publicKey } }, call.requestId));
    if (holders.length === 0) {
      if (unavailableNodes.length) throw new WrError('NODE_UNAVAILABLE', `no node that answered holds a share of ${p.publicKey}: retry`, { retryable: true });
      throw new WrError('NOT_FOUND', `publicKey: no node holds a share of ${p.publicKey}`, { param: 'publicKey' });
    }
    const identifiers = Object.keys(decodePublicKeyPackage(holders[0]!.value.publicPackage).verifyingShares);
    const missing = identifiers.filter((id) => !holders.some((h) => h.value.identifier === id));
    if (missing.length) {
      throw new WrError(
        unavailableNodes.length ? 'NODE_UNAVAILABLE' : 'CONFLICT',
        `no node that answered holds participant ${missing.join(', ')} of ${p.publicKey}: every holder keeps the backup policy` +
          (unavailableNodes.length ? ` (${unavailableNodes.join(', ')} did not answer: retry)` : ''),
        { retryable: unavailableNodes.length > 0 },
      );
    }
    const settled = await Promise.allSettled(
      holders.map(async (h) => ({
        nodeId: h.client.nodeId,
        r: await h.client.call('setBackupPolicy', { params: { publicKey: p.publicKey }, body: signedBody(call) }, call.requestId),
      })),
    );
    // A holder that refused refuses for all (each checks the same call); one that did not answer is retried with the same call,
    // which the holders that took it answer the same.
    const refusal = settled.find((s) => s.status === 'rejected' && !(s.reason instanceof WrError && s.reason.code === 'NODE_UNAVAILABLE'));
    if (refusal) throw (refusal as PromiseRejectedResult).reason;
    const down = holders.filter((_, i) => settled[i]!.status === 'rejected').map((h) => h.client.nodeId);
    if (down.length) {
      throw new WrError('NODE_UNAVAILABLE', `${down.join(', ')} did not take the backup policy: retry with the same idempotency key`, { retryable: true });
    }
    const set = settled.map((s) => (s as PromiseFulfilledResult<{ nodeId: string; r: NodeOpResponse<'setBackupPolicy'> }>).value);
    const epoch = Math.max(...set.map((s) => s.r.epoch));
    await ws.audit.append(call.caller.apiKeyId, 'backup.policy', {
      publicKey: p.publicKey,
      recipients: p.recipients,
      nodes: set.map((s) => s.nodeId),
      epoch,
    });
    return { publicKey: p.publicKey, recipients: p.recipients, epoch, backups: set.flatMap((s) => backupOf(s.nodeId, s.r)) };
  },

  async LIST_BACKUPS(ws, call, p) {
    const { answers, unavailableNodes } = await askEveryNode(ws, (c) => c.call('listBackups', { params: { publicKey: p.publicKey } }, call.requestId));
    if (answers.length === 0 && unavailableNodes.length === 0) {
      throw new WrError('NOT_FOUND', `publicKey: no node holds a share of ${p.publicKey}`, { param: 'publicKey' });
    }
    const epoch = answers.length ? Math.max(...answers.map((a) => a.value.epoch)) : 0;
    const recipients = answers.find((a) => a.value.recipients.length > 0)?.value.recipients ?? [];
    const backups = answers.flatMap((a) => backupOf(a.client.nodeId, a.value)).sort((a, b) => (a.identifier < b.identifier ? -1 : 1));
    return { publicKey: p.publicKey, epoch, recipients, backups, unavailableNodes };
  },
};
