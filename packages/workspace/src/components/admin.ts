import { LIMITS } from '@wr/api';
import type { Handlers } from './types.js';

/**
 * API keys. The workspace never makes or sees a private key: the admin's
 * signed request is itself the registry change, applied here and relayed
 * as it is to every node, which checks it again before applying it.
 */
export const adminComponents: Pick<Handlers, 'CREATE_API_KEY' | 'LIST_API_KEYS' | 'REVOKE_API_KEY' | 'LIST_AUDIT_EVENTS' | 'VERIFY_AUDIT_LOG'> = {
  async CREATE_API_KEY(ws, call, p) {
    const { apiKeyId } = await ws.network.applyRegistryChange(ws.registryLog, call.auth);
    await ws.audit.append(call.caller.apiKeyId, 'apikey.create', { apiKeyId, name: p.name, publicKey: p.publicKey, scopes: p.scopes });
    return { apiKeyId, publicKey: p.publicKey, scopes: p.scopes };
  },

  async LIST_API_KEYS(ws, _call, p) {
    const limit = p.limit ?? LIMITS.pageDefault;
    // One more than asked tells whether another page follows.
    const keys = ws.registry.list(p.cursor, limit + 1);
    return {
      ...(keys.length > limit && { nextCursor: keys[limit - 1]!.apiKeyId }),
      apiKeys: keys.slice(0, limit).map((k) => ({
        apiKeyId: k.apiKeyId,
        name: k.name,
        publicKey: k.publicKey,
        scopes: [...k.scopes],
        createdBy: k.createdBy,
        createdAt: k.createdAt,
        revoked: k.revoked,
      })),
    };
  },

  async REVOKE_API_KEY(ws, call, p) {
    await ws.network.applyRegistryChange(ws.registryLog, call.auth);
    await ws.audit.append(call.caller.apiKeyId, 'apikey.revoke', { apiKeyId: p.apiKeyId });
    return { apiKeyId: p.apiKeyId, revoked: true };
  },

  async LIST_AUDIT_EVENTS(ws, call, p) {
    if (!p.nodeId) return { events: await ws.audit.list(p.after ?? 0, p.limit ?? 100) };
    return ws.network.client(p.nodeId).call('log', { query: { after: String(p.after ?? 0), limit: String(p.limit ?? 100) } }, call.requestId);
  },

  async VERIFY_AUDIT_LOG(ws, call, p) {
    if (!p.nodeId) return ws.audit.verify();
    return ws.network.client(p.nodeId).call('logVerify', {}, call.requestId);
  },
};
