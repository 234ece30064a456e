import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ApiKey, signedHeaders } from 'caller-sdk';
import { relayFetch } from '@wr/cli/test-network';

/** The headers that sign a raw call with an API key, as the SDK would. */
export function signed(apiKey: string, component: string, body: string | object, idempotencyKey = ''): Record<string, string> {
  const headers = signedHeaders(new ApiKey(apiKey), component, typeof body === 'string' ? body : JSON.stringify(body), idempotencyKey);
  if (!idempotencyKey) delete headers['idempotency-key'];
  return headers;
}
/** A raw HTTP call to the workspace, for what the typed SDK would not let a caller send. */
export async function rawCall(baseUrl: string, component: string, body: string | object, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}/v1/components/${component}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: { error?: { code: string; message: string; param?: string } } & Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON: left empty, the test asserts on status */
  }
  return { status: res.status, json, text };
}

/**
 * A POST of a whole body (with its length, or chunked with none), written as a
 * client would; it fails rather than hangs if the connection breaks first.
 */
export function rawPost(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: { chunked?: boolean } = {},
): Promise<{ status: number; body: string }> {
  const length: Record<string, string | number> = opts.chunked ? {} : { 'content-length': Buffer.byteLength(body) };
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...length, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', (err) => reject(new Error(`the connection broke before an answer arrived: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
    req.end(body);
  });
}

/**
 * A client that declares a 1 GiB body and goes on sending it slowly: returns
 * the status line the server answers with, and how long the server let the
 * connection stay open (at most `giveUpMs`, after which the client closes it).
 */
export function endlessUpload(url: string, headers: Record<string, string>, giveUpMs: number): Promise<{ statusLine: string; openMs: number }> {
  const u = new URL(url);
  const lines = Object.entries({ host: u.host, 'content-type': 'application/json', 'content-length': String(2 ** 30), ...headers }).map(
    ([k, v]) => `${k}: ${v}\r\n`,
  );
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answer = '';
    const socket = connect(Number(u.port), u.hostname, () => socket.write(`POST ${u.pathname} HTTP/1.1\r\n${lines.join('')}\r\n`));
    const drip = setInterval(() => socket.write('A'.repeat(1024)), 200);
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined); // the server cutting the connection is what is measured
    socket.on('close', () => {
      clearInterval(drip);
      clearTimeout(giveUp);
      const statusLine = answer.split('\r\n')[0] ?? '';
      if (!statusLine) reject(new Error('the server closed without answering'));
      else resolve({ statusLine, openMs: Date.now() - started });
    });
  });
}

export type NodeAnswer = { status: number; json: Record<string, unknown> & { error?: { code: string; message: string } } };

/** A call straight to a node of `net` with the workspace's credential: what a relay (honest or not) can send. */
export async function asRelay(net: { dir: string; nodes: Map<string, { url: string }> }, nodeId: string, path: string, body?: unknown): Promise<NodeAnswer> {
  const token = readFileSync(join(net.dir, nodeId, 'workspace.token'), 'utf8').trim();
  const res = await relayFetch(net.dir)(net.nodes.get(nodeId)!.url + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as NodeAnswer['json'] };
}
