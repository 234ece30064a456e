import type { Handlers } from './types.js';

export const nodeComponents: Pick<Handlers, 'GET_NODE_RECIPIENT_KEY' | 'LIST_NODES'> = {
  async GET_NODE_RECIPIENT_KEY(ws, _call, p) {
    const nodeId = p.nodeId ?? ws.network.defaultTarget;
    ws.network.client(nodeId);
    const k = await ws.network.keys(nodeId);
    return { nodeId, recipientKey: k.recipientKey, postQuantumRecipientKey: k.postQuantumRecipientKey };
  },

  async LIST_NODES(ws) {
    const nodes = await Promise.all(
      [...ws.network.clients.values()].map(async (c) => {
        try {
          const info = await c.info();
          return { nodeId: c.nodeId, url: c.endpoint.url, status: 'up' as const, ...pickKeys(info), shares: info.shares };
        } catch {
          const known = await ws.network.keys(c.nodeId).catch(() => undefined);
          return { nodeId: c.nodeId, url: c.endpoint.url, status: 'down' as const, ...pickKeys(known), shares: 0 };
        }
      }),
    );
    return { nodes };
  },
};

function pickKeys(k: { recipientKey: string; postQuantumRecipientKey: string; signingKey: string } | undefined) {
  return { recipientKey: k?.recipientKey ?? '', postQuantumRecipientKey: k?.postQuantumRecipientKey ?? '', signingKey: k?.signingKey ?? '' };
}
