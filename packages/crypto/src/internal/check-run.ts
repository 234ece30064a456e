/**
 * A sequence of named checks. `validate…` functions stop at the first failure and
 * throw it; `check…` functions record every check and hand the list to a report
 * (the offline inspect tool). One code path serves both, so the report shows
 * exactly what import enforces.
 */
import { WrError } from '@wr/common';

import { ShareInvalidError, type CheckResult } from '../errors.js';

export interface RecordedCheck extends CheckResult {
  /** UNSUPPORTED_VERSION for a known-good document of an unknown version; SHARE_INVALID otherwise. */
  code?: 'UNSUPPORTED_VERSION';
}

/** A failure that carries a code other than SHARE_INVALID. */
export interface CheckFailure {
  detail: string;
  code: 'UNSUPPORTED_VERSION';
}

export class CheckRun {
  readonly results: RecordedCheck[] = [];

  constructor(private readonly stopOnFailure: boolean) {}

  get failed(): boolean {
    return this.results.some((r) => !r.ok);
  }

  /**
   * Runs `fn` as check `name` unless an earlier check failed in stop-on-failure
   * mode. `fn` returns undefined when the check passes, or the reason it failed.
   * Returns whether the check ran and passed.
   */
  run(name: string, fn: () => string | CheckFailure | undefined): boolean {
    if (this.stopOnFailure && this.failed) return false;
    let outcome: string | CheckFailure | undefined;
    try {
      outcome = fn();
    } catch {
      // A check that throws failed; its error text may carry input, so it is not shown.
      outcome = 'malformed input';
    }
    if (outcome === undefined) {
      this.results.push({ check: name, ok: true });
      return true;
    }
    this.results.push(typeof outcome === 'string' ? { check: name, ok: false, detail: outcome } : { check: name, ok: false, ...outcome });
    return false;
  }

  /** Throws the first failure as a WrError (`what` names the object checked, e.g. "key share"). */
  throwIfFailed(what: string): void {
    const f = this.results.find((r) => !r.ok);
    if (!f) return;
    if (f.code === 'UNSUPPORTED_VERSION') throw new WrError('UNSUPPORTED_VERSION', `${what}: ${f.detail ?? 'unknown format version'}`);
    throw new ShareInvalidError(f.check, `${what} failed check "${f.check}": ${f.detail ?? 'failed'}`);
  }

  /** The public report (without internal codes). */
  report(): CheckResult[] {
    return this.results.map(({ check, ok, detail }) => (detail === undefined ? { check, ok } : { check, ok, detail }));
  }
}
