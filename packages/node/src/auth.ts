import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { WrError, type Secret } from '@wr/common';
import { errorBody } from '@wr/server';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Every route but /healthz requires `authorization: Bearer <token>`, the
 * credential set up for the workspace when the network was made. Compared as
 * SHA-256 digests in constant time; anything else gets 401 and nothing more.
 */
export function requireWorkspaceToken(app: FastifyInstance, token: Secret<string>): void {
  const expected = digest(token.expose());
  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/healthz') return;
    const h = req.headers.authorization;
    const given = typeof h === 'string' && h.startsWith('Bearer ') ? h.slice(7) : '';
    if (!timingSafeEqual(digest(given), expected)) {
      return reply.status(401).send(errorBody(new WrError('UNAUTHENTICATED', 'this node answers only its workspace'), req.id));
    }
  });
}
