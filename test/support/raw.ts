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
 * A POST that reads the answer even when the server answers before the body is
 * sent (as it does for a body over its limit) and then closes the connection.
 */
export function rawPost(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', () => {
      /* the server may close while the body is still being written: the response decides */
    });
    req.end(body);
  });
}
