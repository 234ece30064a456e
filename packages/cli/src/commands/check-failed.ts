/**
 * Exit code of a command that ran to the end but whose result is a failed
 * check or a partial failure (`wr audit verify` on a broken chain, `wr migrate`
 * with shares that did not move or do not sign). Next after output.ts's
 * EXIT_CODES, which map error codes.
 */
export const CHECK_FAILED_EXIT = 14;

/** Reports a failed check on stderr and sets the exit code; the command's output is already printed. */
export function checkFailed(message: string, hint: string): void {
  process.stderr.write(`wr: ${message}\n  ${hint}\n`);
  process.exitCode = CHECK_FAILED_EXIT;
}
