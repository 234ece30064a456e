import type { FastifyInstance } from 'fastify';
import { WrError, type Secret } from '@wr/common';
import { bearerCheck, errorBody } from '@wr/server';

/**
 * Every route but /healthz requires `authorization: Bearer <token>`, the
 * credential set up for the workspace when the network was made (compared in
 * constant time); anything else gets 401 and nothing more.
 */
export function requireWorkspaceToken(app: FastifyInstance, token: Secret<string>): void {
  const isWorkspace = bearerCheck(token);
  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/healthz') return;
    if (!isWorkspace(req.headers.authorization)) {
      return reply.status(401).send(errorBody(new WrError('UNAUTHENTICATED', 'this node answers only its workspace'), req.id));
    }
  });
}
