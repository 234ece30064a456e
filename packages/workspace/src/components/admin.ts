import type { Scope } from '@wr/api';
import type { Handlers } from './types.js';

export const adminComponents: Pick<Handlers, 'CREATE_API_KEY' | 'LIST_API_KEYS' | 'REVOKE_API_KEY' | 'LIST_AUDIT_EVENTS' | 'VERIFY_AUDIT_LOG'> = {
  async CREATE_API_KEY(ws, call, p) {
    const scopes = p.scopes as Scope[];
    const { apiKeyId, apiKey } = ws.apiKeys.create(p.name, scopes);
    ws.audit.append(call.caller.apiKeyId, 'apikey.create', { apiKeyId, name: p.name, scopes });
    return { apiKeyId, apiKey, scopes };
  },

  async LIST_API_KEYS(ws) {
    return { apiKeys: ws.apiKeys.list() };
  },

  async REVOKE_API_KEY(ws, call, p) {
    ws.apiKeys.revoke(p.apiKeyId);
    ws.audit.append(call.caller.apiKeyId, 'apikey.revoke', { apiKeyId: p.apiKeyId });
    return { apiKeyId: p.apiKeyId, revoked: true };
  },

  async LIST_AUDIT_EVENTS(ws, _call, p) {
    return { events: ws.audit.list(p.after ?? 0, p.limit ?? 100) };
  },

  async VERIFY_AUDIT_LOG(ws) {
    return ws.audit.verify();
  },
};
