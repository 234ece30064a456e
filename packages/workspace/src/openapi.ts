import { COMPONENTS, componentPath } from '@wr/api';

/** The OpenAPI 3.1 document, made from the same schemas that validate requests. */
export function openApiDocument(version: string) {
  const error = {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'requestId'],
        properties: {
          code: { type: 'string' },
          message: { type: 'string' },
          requestId: { type: 'string' },
          param: { type: 'string', description: 'The parameter an INVALID_ARGUMENT is about.' },
          retryable: { type: 'boolean', description: 'Present and true when the same call, sent again in a moment, may succeed.' },
        },
      },
    },
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
            ? [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 128 }, description: 'A retry with the same key replays the first outcome' }]
            : [],
          requestBody: { required: true, content: { 'application/json': { schema: def.params } } },
          responses: {
            200: { description: 'OK', content: { 'application/json': { schema: def.result } } },
            default: { description: 'An error with a stable code', content: { 'application/json': { schema: error } } },
          },
        },
      },
    ]),
  );
  return {
    openapi: '3.1.0',
    info: { title: 'wr workspace API', version },
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'a wr_... API key' } } },
    security: [{ apiKey: [] }],
    paths,
  };
}
