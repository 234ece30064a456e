import { COMPONENTS, ErrorBody, IDEMPOTENT_REPLAYED_HEADER, componentPath } from '@wr/api';

/** The OpenAPI 3.1 document, made from the same schemas that validate requests. */
export function openApiDocument(version: string) {
  const replayedHeader = {
    [IDEMPOTENT_REPLAYED_HEADER]: {
      description: 'Present (true) when this is the stored result of an earlier call with the same Idempotency-Key, sent again; absent on a first execution',
      schema: { type: 'string', enum: ['true'] },
    },
  };
  const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } };
  // RESOURCE_EXHAUSTED: the server is at its bound on work in flight; nothing was done, so the same call may be sent again.
  const busy = {
    description: 'RESOURCE_EXHAUSTED (the server is at its bound on work in flight: nothing was done) or NODE_UNAVAILABLE; retryable',
    headers: {
      'Retry-After': { description: 'Seconds to wait before sending the same call again (same Idempotency-Key)', schema: { type: 'integer', minimum: 0 } },
      'Server-Timing': {
        description: 'SIGN and CREATE_KEY: `queue;dur=<ms>`, how long the call was held before it was admitted or refused',
        schema: { type: 'string' },
      },
    },
    content: errorContent,
  };
  const paths = Object.fromEntries(
    Object.entries(COMPONENTS).map(([name, def]) => [
      componentPath(name as keyof typeof COMPONENTS),
      {
        post: {
          operationId: name,
          summary: def.summary,
          'x-wr-scope': def.scope,
          parameters: def.mutating
            ? [
                {
                  name: 'Idempotency-Key',
                  in: 'header',
                  required: false,
                  schema: { type: 'string', maxLength: 128 },
                  description: 'A retry with the same key replays the first outcome',
                },
              ]
            : [],
          requestBody: { required: true, content: { 'application/json': { schema: def.params } } },
          responses: {
            200: { description: 'OK', ...(def.mutating ? { headers: replayedHeader } : {}), content: { 'application/json': { schema: def.result } } },
            503: busy,
            default: { description: 'An error with a stable code', content: errorContent },
          },
        },
      },
    ]),
  );
  return {
    openapi: '3.1.0',
    info: { title: 'wr workspace API', version },
    components: { schemas: { ErrorBody }, securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'a wr_... API key' } } },
    security: [{ apiKey: [] }],
    paths,
  };
}
