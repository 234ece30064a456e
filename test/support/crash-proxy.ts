/**
 * A pausing HTTP proxy between the workspace and one node, for crash tests
 * that need a crash at an exact protocol step rather than at a random moment.
 * Every request is passed through as it is, unless a test asked to hold the
 * next one matching a path: then the request waits, either before it reaches
 * the node or after the node answered (before the answer goes back), until the
 * test releases it or drops it. Dropping destroys the workspace's socket, so
 * the workspace sees what a node crash looks like: a connection that fails.
 * A node that does not answer the forwarded request is reported the same way.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

export type HoldPoint = 'before' | 'after';

export interface Held {
  path: string;
  /** Before: forward the request to the node now. After: deliver the node's answer. */
  release(): void;
  /** Destroys the workspace's connection: the request, or its answer, is lost. */
  drop(): void;
}

interface Rule {
  match: RegExp;
  when: HoldPoint;
  resolve: (h: Held) => void;
}

/** The client certificate the proxy presents to a node over https (the workspace's: see workspaceTls). */
export interface ClientTls {
  key: string;
  cert: string;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** One request to the node on a fresh connection (no pooled socket outlives a node restart). */
function forward(target: URL, req: IncomingMessage, body: Buffer, tls?: ClientTls): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    for (const h of ['authorization', 'content-type', 'x-request-id']) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    headers['content-length'] = String(body.length);
    const options = { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: false as const };
    // To a node over https, the proxy presents the workspace's certificate, as the workspace would.
    const send =
      target.protocol === 'https:'
        ? (cb: (res: IncomingMessage) => void) => httpsRequest({ ...options, ...tls, rejectUnauthorized: false }, cb)
        : (cb: (res: IncomingMessage) => void) => httpRequest(options, cb);
    const out = send((res) => {
      readBody(res).then(
        (b) => resolve({ status: res.statusCode ?? 502, headers: { 'content-type': String(res.headers['content-type'] ?? 'application/json') }, body: b }),
        reject,
      );
    });
    out.on('error', reject);
    out.end(body);
  });
}

export class PausingProxy {
  readonly #server: Server;
  readonly #target: URL;
  #rules: Rule[] = [];
  /** Requests seen, by path, for assertions that a step was reached (e.g. /v1/dkg/abort). */
  readonly seen: string[] = [];

  readonly #tls: ClientTls | undefined;

  private constructor(server: Server, target: string, tls?: ClientTls) {
    this.#server = server;
    this.#target = new URL(target);
    this.#tls = tls;
  }

  static async start(target: string, tls?: ClientTls): Promise<PausingProxy> {
    const holder: { proxy?: PausingProxy } = {};
    // Idle connections kept as long as a node keeps them (fastify's 72 s), not node:http's 5 s: on a loaded machine the
    // workspace's pool could otherwise pick a connection the proxy is closing, a failure no real node causes.
    const server = createServer({ keepAliveTimeout: 72_000 }, (req, res) => void holder.proxy!.#handle(req, res));
    const proxy = (holder.proxy = new PausingProxy(server, target, tls));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Holds the next request whose path matches, at `when`; resolves once it is held. */
  hold(match: RegExp, when: HoldPoint): Promise<Held> {
    return new Promise((resolve) => this.#rules.push({ match, when, resolve }));
  }

  /** Forgets holds that never matched. */
  clearHolds(): void {
    this.#rules = [];
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }

  #take(path: string, when: HoldPoint): Rule | undefined {
    const i = this.#rules.findIndex((r) => r.when === when && r.match.test(path));
    return i < 0 ? undefined : this.#rules.splice(i, 1)[0];
  }

  #pause(rule: Rule, path: string): Promise<boolean> {
    return new Promise((decide) => rule.resolve({ path, release: () => decide(true), drop: () => decide(false) }));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    this.seen.push(path);
    try {
      const body = await readBody(req);
      const before = this.#take(path, 'before');
      if (before && !(await this.#pause(before, path))) return void req.socket.destroy();
      let answer: Answer;
      try {
        answer = await forward(this.#target, req, body, this.#tls);
      } catch {
        return void req.socket.destroy();
      }
      const after = this.#take(path, 'after');
      if (after && !(await this.#pause(after, path))) return void req.socket.destroy();
      res.writeHead(answer.status, answer.headers).end(answer.body);
    } catch {
      req.socket.destroy();
    }
  }
}
