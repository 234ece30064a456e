import { request } from 'node:http';
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
 * A POST of a whole body (with its length, or chunked with none), written as a client would, that fails rather than
 * hangs when the connection breaks before an answer arrives.
 */
export function rawPost(url: string, body: string, headers: Record<string, string>, opts: { chunked?: boolean } = {}): Promise<{ status: number; body: string }> {
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
