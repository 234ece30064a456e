import { createServer } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { WrError } from '@wr/common';
import type { FastifyInstance } from 'fastify';

/**
 * What a failed listen means to whoever starts the server, as a code: the one
 * place a taken port is recognised, for the servers and for `wr dev`'s check.
 */
export function listenFailure(err: unknown, host: string, port: number): unknown {
  const on = { param: 'port', cause: err };
  switch ((err as NodeJS.ErrnoException)?.code) {
    case 'EADDRINUSE':
      return new WrError('PORT_IN_USE', `port ${port} on ${host} is already in use: stop what runs there, or choose another port`, on);
    case 'EACCES':
      return new WrError('CONFIG_INVALID', `port ${port} on ${host}: this user may not listen there (ports below 1024 need privileges)`, on);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new WrError('CONFIG_INVALID', `host ${host} is not an address of this machine: listen on 127.0.0.1 or one of its own`, { ...on, param: 'host' });
    default:
      return err;
  }
}

/**
 * Listens and returns the base URL. A server that cannot listen is closed
 * (its database and timers released) and fails with listenFailure's code.
 */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close().catch(() => undefined);
    throw listenFailure(err, host, port);
  }
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('the server has no TCP address');
  const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `${app.server instanceof TlsServer ? 'https' : 'http'}://${h}:${addr.port}`;
}

/** Fails as listen would (PORT_IN_USE, say) if `port` cannot be listened on now; listens on nothing. */
export async function checkPortFree(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err) => reject(listenFailure(err, host, port)));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/**
 * Drains the server on SIGTERM or SIGINT (see drain: no new connections, the
 * requests already received answered, within the bound), then calls
 * `onClosed`. A second signal while draining changes nothing: the bound holds
 * (SIGKILL stops it at once).
 */
export function closeOnSignals(server: { drain(): Promise<unknown> }, onClosed: () => void): void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    server.drain().then(onClosed, onClosed);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
