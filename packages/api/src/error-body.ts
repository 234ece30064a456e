/**
 * The one error body every wr server sends (the workspace to callers, a node
 * to the workspace): @wr/server renders it from a WrError, the OpenAPI
 * document publishes it, and the SDK and the workspace's node client read it.
 */
import { Type as T, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ERROR_CODES, type ErrorCode } from '@wr/common';

const strict = { additionalProperties: false } as const;

/** Every code of @wr/common's registry (whose ErrorCode type this schema's values are). */
const Code = T.Union((Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => T.Literal(code)));

export const ErrorBody = T.Object(
  {
    error: T.Object(
      {
        code: Code,
        message: T.String({ description: 'What went wrong and what to do; never holds key material.' }),
        param: T.Optional(T.String({ description: 'The parameter an INVALID_ARGUMENT is about.' })),
        requestId: T.Optional(T.String({ description: 'The id to report; the x-request-id header carries it too.' })),
        retryable: T.Optional(T.Boolean({ description: 'Present and true when the same call, sent again in a moment, may succeed.' })),
        replayed: T.Optional(
          T.Literal(true, { description: 'Present when this is the stored outcome of an earlier call with the same Idempotency-Key, sent again.' }),
        ),
      },
      strict,
    ),
  },
  strict,
);
export type ErrorBody = Static<typeof ErrorBody>;
export type ErrorDetail = ErrorBody['error'];

// Pure: a bundle that never checks an error body (the web console, whose CSP forbids the compiler's eval) drops it.
const checkErrorBody = /* @__PURE__ */ TypeCompiler.Compile(ErrorBody);

/** The error a failed answer carries, or undefined when its body is not an ErrorBody. */
export function readErrorBody(body: unknown): ErrorDetail | undefined {
  return checkErrorBody.Check(body) ? body.error : undefined;
}
