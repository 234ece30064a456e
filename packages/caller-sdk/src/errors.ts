import { WrError, type ErrorCode } from '@wr/common';

/** A failed call: the same `code` the workspace sent (in @wr/api's ErrorBody), its message, and the request id to report. */
export class WorkspaceError extends WrError {
  readonly requestId: string | undefined;
  readonly httpStatus: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { requestId?: string | undefined; httpStatus?: number | undefined; param?: string | undefined; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, {
      ...(opts.param ? { param: opts.param } : {}),
      ...(opts.retryable ? { retryable: true } : {}),
      ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
    });
    this.name = 'WorkspaceError';
    this.requestId = opts.requestId;
    this.httpStatus = opts.httpStatus;
  }
}
