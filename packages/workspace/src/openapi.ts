import { COMPONENTS, ErrorBody, IDEMPOTENT_REPLAYED_HEADER, componentPath } from '@wr/api';

/** The OpenAPI 3.1 document, made from the same schemas that validate requests. */
export function openApiDocument(version: string) {
  const replayedHeader = {
    [IDEMPOTENT_REPLAYED_HEADER]: {
      description: 'Present (true) when this is the stored result of an earlier call with the same Idempotency-Key, sent again; absent on a first execution',
      schema: { type: 'string', enum: ['true'] },
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
            default: { description: 'An error with a stable code', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } } },
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
