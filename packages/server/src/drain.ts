import { Server as NetServer } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { WrError, type ErrorCode } from '@wr/common';
import type { FastifyInstance } from 'fastify';

/** How long a server drains by default before it cuts off what is left (WR_DRAIN_TIMEOUT_MS, --drain-timeout). */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

/** A pause before idle keep-alive connections are closed, so a request already on its way over one is read and answered. */
const IDLE_GRACE_MS = 25;

/** How long the answers written at the bound get to reach their clients before every connection is closed. */
const CUT_OFF_FLUSH_MS = 500;

/** The requests a server has received and not yet answered, and whether it is draining. */
interface Tracker {
  inFlight: Set<ServerResponse>;
  draining: boolean;
  /** Called each time a request is answered (or its connection lost). */
  onSettled?: () => void;
}

const trackers = new WeakMap<Server, Tracker>();

/**
 * Counts the requests a server has received and not yet answered, for drain().
 * Once draining, every answer carries `connection: close`, so a keep-alive
 * connection serves at most the request already on it.
 */
export function trackRequests(server: Server): void {
  const t: Tracker = { inFlight: new Set(), draining: false };
  trackers.set(server, t);
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    t.inFlight.add(res);
    if (t.draining) res.shouldKeepAlive = false;
    res.once('close', () => {
      t.inFlight.delete(res);
      t.onSettled?.();
    });
  });
}

export interface DrainOptions {
  /** How long the requests already received get to finish (default DEFAULT_DRAIN_TIMEOUT_MS). */
  timeoutMs?: number;
  /** What a request still running at the bound is answered with: a retryable 503 (WORKSPACE_UNAVAILABLE, NODE_UNAVAILABLE). */
  unavailableCode: ErrorCode;
}

export interface DrainResult {
  /** Requests answered while draining (those received before the signal, and any that came on a connection already open). */
  answered: number;
  /** Requests still running at the bound: each was answered with a retryable `unavailableCode`. */
  cutOff: number;
  ms: number;
}

/**
 * A graceful stop, in the order a load balancer expects: stop accepting
 * connections; answer every request already received (and one more on any
 * keep-alive connection that already carries it, with `connection: close`);
 * close the idle connections once nothing runs; then close the app (its
 * onClose hooks: databases, timers). At the bound, a request still running
 * gets a retryable `unavailableCode` (the SDK retries it with the same
 * idempotency key) and its connection is closed.
 */
export async function drain(app: FastifyInstance, opts: DrainOptions): Promise<DrainResult> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  const server = app.server;
  const t = trackers.get(server);
  if (!t || !server.listening) {
    await app.close();
    return { answered: 0, cutOff: 0, ms: Date.now() - started };
  }
  t.draining = true;
  for (const res of t.inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
  const before = t.inFlight.size;
  let answered = 0;
  app.log.info({ inFlight: before, timeoutMs }, 'draining: no new connections; answering the requests already received');

  // http.Server#close would also close the idle keep-alive connections at once, resetting a request already
  // sent on one but not yet read; net.Server#close stops accepting and leaves them to closeIdle below.
  NetServer.prototype.close.call(server);
  // Emitted once the last connection is gone (at once, on the next tick, if there is none).
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  let idleTimer: NodeJS.Timeout | undefined;
  const closeIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (t.inFlight.size === 0) server.closeIdleConnections();
    }, IDLE_GRACE_MS);
  };
  t.onSettled = () => {
    answered++;
    if (t.inFlight.size === 0) closeIdle();
  };
  if (t.inFlight.size === 0) closeIdle();

  let bound: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    closed.then(() => false),
    new Promise<boolean>((resolve) => {
      bound = setTimeout(() => resolve(true), timeoutMs);
    }),
  ]);
  clearTimeout(bound);
  clearTimeout(idleTimer);
  let cutOff = 0;
  if (timedOut) {
    const err = new WrError(opts.unavailableCode, `the server is shutting down (it drained for ${timeoutMs} ms): retry in a moment`, { retryable: true });
    for (const res of t.inFlight) {
      cutOff++;
      if (res.headersSent) continue;
      const body = JSON.stringify({ error: { code: err.code, message: err.message, retryable: true } });
      res.writeHead(err.status, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1', connection: 'close' }).end(body);
    }
    // Each answer closes its own connection once written; what is still open after a moment is closed here.
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, CUT_OFF_FLUSH_MS).unref())]);
    server.closeAllConnections();
  }
  t.onSettled = undefined;
  const result = { answered, cutOff, ms: Date.now() - started };
  (cutOff > 0 ? app.log.warn.bind(app.log) : app.log.info.bind(app.log))(result, `drained in ${result.ms} ms`);
  await app.close();
  return result;
}
