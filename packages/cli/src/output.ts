import type { ErrorBody } from '@wr/api';
import { ERROR_CODES, WrError, isErrorCode, type ErrorCode } from '@wr/common';

/**
 * Exit codes tell success from each kind of failure, so scripts can branch:
 * 0 ok, 1 unexpected, 2 usage, then one per error code.
 */
export const EXIT_CODES: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 2,
  UNAUTHENTICATED: 3,
  PERMISSION_DENIED: 4,
  NOT_FOUND: 5,
  NOT_EXPORTABLE: 6,
  NO_IDENTITY_MATCH: 7,
  WRAPPED_SHARE_CORRUPT: 8,
  SHARE_INVALID: 9,
  UNSUPPORTED_VERSION: 10,
  PAYLOAD_TOO_LARGE: 11,
  CONFLICT: 12,
  NODE_UNAVAILABLE: 13,
  WORKSPACE_UNAVAILABLE: 21,
  SHARE_RETIRED: 15,
  REPLAYED: 16,
  APPROVAL_REQUIRED: 17,
  PORT_IN_USE: 18,
  DATA_DIR_UNUSABLE: 19,
  CONFIG_INVALID: 20,
  RESOURCE_EXHAUSTED: 22,
  SHARE_STALE: 23,
  INTERNAL: 1,
};

export function exitCodeFor(err: unknown): number {
  if (err instanceof WrError) return EXIT_CODES[err.code];
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && code.startsWith('commander.')) return 2;
  return 1;
}

export function printError(err: unknown, json: boolean): void {
  const code = err instanceof WrError ? err.code : (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && code.startsWith('commander.')) return; // commander printed it already
  if (json) {
    const requestId = (err as { requestId?: string }).requestId;
    const body: ErrorBody = { error: { code: isErrorCode(code) ? code : 'INTERNAL', message, ...(requestId ? { requestId } : {}) } };
    process.stderr.write(JSON.stringify(body) + '\n');
    return;
  }
  const hint = isErrorCode(code) ? ERROR_CODES[code].hint : '';
  process.stderr.write(`wr: ${isErrorCode(code) ? `${code}: ` : ''}${message}\n${hint ? `  ${hint}\n` : ''}`);
}

const widthsOf = (headers: string[], rows: string[][]) => headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const lineOf = (cells: string[], widths: number[]) =>
  cells
    .map((c, i) => c.padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd();

/** A table with a header row, columns padded to the widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = widthsOf(headers, rows);
  return [lineOf(headers, widths), ...rows.map((r) => lineOf(r, widths))].join('\n') + '\n';
}

/**
 * One page of a table printed as it comes: the first page (no `widths` yet)
 * sets the columns and prints the header; later pages print rows in them.
 */
export function streamTable(headers: string[], rows: string[][], widths: number[] | undefined): { text: string; widths: number[] } {
  if (widths) return { text: rows.map((r) => lineOf(r, widths) + '\n').join(''), widths };
  return { text: table(headers, rows), widths: widthsOf(headers, rows) };
}
