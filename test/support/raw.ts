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
