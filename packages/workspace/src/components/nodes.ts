import type { Handlers } from './types.js';

export const nodeComponents: Pick<Handlers, 'GET_NODE_RECIPIENT_KEY' | 'LIST_NODES'> = {
  async GET_NODE_RECIPIENT_KEY(ws, _call, p) {
    const nodeId = p.nodeId ?? ws.network.defaultTarget;
    const k = ws.network.keys(nodeId);
    return { nodeId, recipientKey: k.recipientKey, postQuantumRecipientKey: k.postQuantumRecipientKey, roster: ws.config.roster };
  },

  async LIST_NODES(ws) {
    const nodes = await Promise.all(
      [...ws.network.clients.values()].map(async (c) => {
        // Keys come from the signed roster; a node's own answer only tells whether it is up.
        const keys = pickKeys(ws.network.keys(c.nodeId));
        try {
          const info = await c.info();
          return { nodeId: c.nodeId, url: c.endpoint.url, status: 'up' as const, ...keys, shares: info.shares };
        } catch {
          return { nodeId: c.nodeId, url: c.endpoint.url, status: 'down' as const, ...keys, shares: 0 };
        }
      }),
    );
    return { nodes };
  },
};

function pickKeys(k: { recipientKey: string; postQuantumRecipientKey: string; signingKey: string }) {
  return { recipientKey: k.recipientKey, postQuantumRecipientKey: k.postQuantumRecipientKey, signingKey: k.signingKey };
}
