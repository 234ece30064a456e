import Fastify, { LogController, type FastifyInstance, type FastifyError } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ErrorBody } from '@wr/api';
import { ERROR_CODES, WrError, codeOf, newRequestId, type ErrorCode, type Secret } from '@wr/common';
import type { Writable } from 'node:stream';
import type { Server as TlsServer } from 'node:tls';
import { trackRequests } from './drain.js';
import { logRequests } from './request-log.js';
import { peerFingerprint, type TlsIdentity } from './tls.js';

/** Mutual TLS for a server: its own identity, and the fingerprints of the only client certificates it accepts. */
export interface ServerTls {
  identity: TlsIdentity;
  clientFingerprints: string[];
}

export interface HttpServerOptions {
  /** `node` or `workspace`: the `service` field of every log line. */
  service: string;
  /** Where JSON log lines go (default: stdout). `false` turns logging off. */
  log?: Writable | false;
  logLevel?: string;
  bodyLimit: number;
  /** When set, /metrics answers only `authorization: Bearer <this>` (a scraper's credential). */
  metricsToken?: Secret<string>;
  /** When set, the server speaks HTTPS and takes a connection only from a client certificate it pins. */
  tls?: ServerTls;
}

export interface HttpServer {
  app: FastifyInstance;
  metrics: Registry;
  /** Counts a finished call by its operation and its code (OK or an error code). */
  calls: Counter<'operation' | 'code'>;
  latency: Histogram<'operation'>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body exactly as it arrived: what a caller's signature covers. */
    rawBody?: string;
  }
}

/**
 * Checks `authorization: Bearer <token>` against a fixed credential: compared
 * as SHA-256 digests in constant time, so neither length nor content leaks.
 */
export function bearerCheck(token: Secret<string>): (authorization: string | undefined) => boolean {
  const digest = (t: string) => createHash('sha256').update(t, 'utf8').digest();
  const expected = digest(token.expose());
  return (h) => timingSafeEqual(digest(typeof h === 'string' && h.startsWith('Bearer ') ? h.slice(7) : ''), expected);
}

/** How long a client may go on sending a body the server has already answered. */
const LINGER_MS = 5_000;

/**
 * Renders an error as the one wire shape, @wr/api's ErrorBody. Without a
 * request id, it is the form an idempotency record keeps (each replay has its own id).
 */
export function errorBody(err: WrError, requestId?: string): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(requestId ? { requestId } : {}),
      ...(err.param ? { param: err.param } : {}),
      ...(err.retryable ? { retryable: true } : {}),
    },
  };
}

/** Maps what fastify throws (validation, body size, parse errors) onto our codes. */
export function toWrError(err: unknown): WrError {
  if (err instanceof WrError) return err;
  const fe = err as FastifyError & { validation?: { instancePath?: string; params?: Record<string, unknown>; message?: string }[] };
  if (fe?.validation && fe.validation.length > 0) {
    const v = fe.validation[0]!;
    const extra = v.params?.['additionalProperty'] ?? v.params?.['missingProperty'];
    const path = [v.instancePath?.replace(/^\//, '').replace(/\//g, '.'), extra].filter(Boolean).join('.');
    const param = path || 'body';
    const why = v.params?.['additionalProperty'] ? 'is not a known parameter' : (v.message ?? 'is invalid');
    return new WrError('INVALID_ARGUMENT', `${param}: ${why}`, { param });
  }
  if (fe?.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fe?.statusCode === 413) {
    return new WrError('PAYLOAD_TOO_LARGE', 'the request body is larger than the server accepts');
  }
  if (fe?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new WrError('INVALID_ARGUMENT', 'body: send JSON with content-type application/json', { param: 'body' });
  }
  if (fe?.statusCode === 400) {
    return new WrError('INVALID_ARGUMENT', 'body: the request body is not valid JSON', { param: 'body' });
  }
  return new WrError('INTERNAL', 'an internal error occurred');
}

/**
 * A fastify instance with what both servers need. Request bodies and
 * authorization headers are never logged; responses carry only the fields the
 * route's response schema lists.
 */
export function createHttpServer(opts: HttpServerOptions): HttpServer {
  const app = Fastify({
    ...(opts.tls && {
      // Any client certificate is asked for and none is trusted by signature (there is no CA): the pin below decides.
      https: {
        key: opts.tls.identity.key.expose(),
        cert: opts.tls.identity.cert,
        requestCert: true,
        rejectUnauthorized: false,
        minVersion: 'TLSv1.3' as const,
      },
    }),
    bodyLimit: opts.bodyLimit,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(given) ? given : newRequestId();
    },
    logger:
      opts.log === false
        ? false
        : {
            level: opts.logLevel ?? 'info',
            base: { service: opts.service },
            stream: opts.log ?? process.stdout,
            redact: { paths: ['req.headers.authorization', 'req.headers["x-node-token"]'], censor: '<redacted>' },
          },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
    return503OnClosing: true,
    // Per-request lines come from logRequests, at debug; info carries summaries.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: 'idle',
    // A client gets this long to send a whole request (fastify's default is no limit at all).
    requestTimeout: 30_000,
  });

  if (opts.tls) {
    // A connection whose client certificate is not pinned is closed before any request on it is read. A resumed
    // session shows no certificate to check, so only full handshakes are taken (the workspace never resumes).
    const pinned = new Set(opts.tls.clientFingerprints);
    (app.server as unknown as TlsServer).prependListener('secureConnection', (socket) => {
      const fp = peerFingerprint(socket);
      if (socket.isSessionReused() || !fp || !pinned.has(fp)) socket.destroy();
    });
  }
  trackRequests(app.server);
  logRequests(app);

  // JSON as fastify parses it (prototype keys refused), keeping the exact text for signature checks.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = body as string;
    parseJson(req, body as string, done);
  });

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const calls = new Counter({
    name: 'wr_calls_total',
    help: 'Calls by operation and result code',
    labelNames: ['operation', 'code'] as const,
    registers: [metrics],
  });
  const latency = new Histogram({
    name: 'wr_call_seconds',
    help: 'Call latency by operation',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [metrics],
  });

  // Once closing, a call that was already running answers with `connection:
  // close`; otherwise its keep-alive connection would hold the shutdown open for
  // the whole keep-alive timeout (72 s).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
    if (closing) reply.header('connection', 'close');
  });

  // A request answered before its body arrived (too large, unauthenticated) has
  // its body discarded by node as it comes; requestTimeout no longer applies, so
  // a client that keeps sending gets LINGER_MS and then loses the connection.
  app.addHook('onResponse', async (req) => {
    const raw = req.raw;
    // readableEnded as well: an injected request (tests) has no `complete`, and its body may have ended before the answer.
    if (raw.complete || raw.readableEnded) return;
    const timer = setTimeout(() => raw.destroy(), LINGER_MS).unref();
    raw.once('end', () => clearTimeout(timer));
  });

  app.setErrorHandler((err, req, reply) => {
    const wr = toWrError(err);
    if (wr.code === 'INTERNAL') {
      // The original error may say anything: log its kind and where, never its message text to the caller.
      req.log.error({ err: { type: (err as Error)?.name, message: (err as Error)?.message, stack: (err as Error)?.stack } }, 'internal error');
    }
    if (wr.code === 'PAYLOAD_TOO_LARGE') {
      // fastify closes the connection here; a client still sending its body then
      // gets a reset and often never reads this answer. Keeping the connection
      // lets node discard the rest of the body (for at most LINGER_MS)
      // so the client sees PAYLOAD_TOO_LARGE, as nginx's lingering close does.
      void reply.removeHeader('connection');
    }
    if (wr.retryable) void reply.header('retry-after', '1');
    void reply.status(ERROR_CODES[wr.code].status).send(errorBody(wr, req.id));
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send(errorBody(new WrError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`), req.id));
  });

  app.get('/healthz', async () => ({ ok: true }));
  const metricsCredential = opts.metricsToken && bearerCheck(opts.metricsToken);
  app.get('/metrics', async (req, reply) => {
    if (metricsCredential && !metricsCredential(req.headers.authorization)) {
      throw new WrError(
        'UNAUTHENTICATED',
        '/metrics needs the metrics credential: authorization: Bearer <token> (wr dev writes it to .wr/workspace/metrics.token)',
      );
    }
    void reply.header('content-type', metrics.contentType);
    return metrics.metrics();
  });

  return { app, metrics, calls, latency };
}

/** Times an operation and counts its outcome. */
export async function measured<T>(server: HttpServer, operation: string, fn: () => Promise<T>): Promise<T> {
  const end = server.latency.startTimer({ operation });
  let code: ErrorCode | 'OK' = 'OK';
  try {
    return await fn();
  } catch (err) {
    code = codeOf(err);
    throw err;
  } finally {
    end();
    server.calls.inc({ operation, code });
  }
}
