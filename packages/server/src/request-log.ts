import type { FastifyInstance } from 'fastify';

/** How often a server sums up the requests it answered, at info (when it answered any). */
export const SUMMARY_EVERY_MS = 60_000;

/**
 * Request logging fit for production: one line per request at debug (method,
 * path, status, time; never a header or a body), and at info a summary every
 * `everyMs` (and one at close) of how many requests were answered, by status
 * class, with the mean and slowest times. At the default level, info, a busy
 * server writes a line a minute instead of two per request.
 */
export function logRequests(app: FastifyInstance, everyMs = SUMMARY_EVERY_MS): void {
  let since = Date.now();
  let window = { requests: 0, '2xx': 0, '4xx': 0, '5xx': 0, totalMs: 0, slowestMs: 0 };
  const fresh = () => ({ requests: 0, '2xx': 0, '4xx': 0, '5xx': 0, totalMs: 0, slowestMs: 0 });
  app.addHook('onResponse', async (req, reply) => {
    const ms = reply.elapsedTime;
    req.log.debug({ req: { method: req.method, url: req.url.split('?')[0] }, res: { statusCode: reply.statusCode }, ms: Math.round(ms) }, 'request');
    window.requests++;
    const status = reply.statusCode;
    if (status >= 500) window['5xx']++;
    else if (status >= 400) window['4xx']++;
    else window['2xx']++;
    window.totalMs += ms;
    window.slowestMs = Math.max(window.slowestMs, ms);
  });
  const summarize = () => {
    const w = window;
    const seconds = Math.round((Date.now() - since) / 1000);
    since = Date.now();
    window = fresh();
    if (w.requests === 0) return;
    const summary = { requests: w.requests, '2xx': w['2xx'], '4xx': w['4xx'], '5xx': w['5xx'], meanMs: Math.round(w.totalMs / w.requests) };
    app.log.info({ ...summary, slowestMs: Math.round(w.slowestMs), seconds }, `${w.requests} requests in the last ${seconds} s`);
  };
  const timer = setInterval(summarize, everyMs).unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    summarize();
  });
}
