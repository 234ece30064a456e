import { WrError } from '@wr/common';

/**
 * A key share, a protocol message or a signature share failed one named check.
 * Code SHARE_INVALID. `check` is a stable name (see the list in README.md);
 * `culprits` holds the participant identifiers to blame, when the failure can be
 * attributed (a bad signature share, a bad DKG message). The message never holds
 * key material.
 */
export class ShareInvalidError extends WrError {
  readonly check: string;
  readonly culprits: readonly string[];

  constructor(check: string, message: string, culprits: readonly string[] = []) {
    super('SHARE_INVALID', message);
    this.check = check;
    this.culprits = Object.freeze([...culprits]);
  }
}

/** One line of a verification report: which check, whether it passed, and why not. */
export interface CheckResult {
  check: string;
  ok: boolean;
  detail?: string;
}
