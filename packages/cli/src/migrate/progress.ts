import cliProgress from 'cli-progress';
import { table } from '../output.js';

/** How a migration shows it is moving: a bar on a terminal, one line per share otherwise. */
export interface MigrationProgress {
  phase(title: string, total: number): void;
  /** One share finished a step; `line` describes it (shown as a line when there is no bar). */
  step(line: string, ok: boolean): void;
  stop(): void;
}

/** On a terminal: one bar per phase; failures are listed in the summary after it. */
class BarProgress implements MigrationProgress {
  #bar: cliProgress.SingleBar | undefined;
  #done = 0;
  #failed = 0;
  #startedAt = 0;

  phase(title: string, total: number): void {
    this.stop();
    this.#done = 0;
    this.#failed = 0;
    this.#startedAt = Date.now();
    this.#bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${title.padEnd(14)} [{bar}] {value}/{total} | {failed} failed | {rate}/s | eta {eta_formatted}`,
        barsize: 30,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    this.#bar.start(total, 0, { failed: 0, rate: '0.0' });
  }

  step(_line: string, ok: boolean): void {
    this.#done++;
    if (!ok) this.#failed++;
    const seconds = (Date.now() - this.#startedAt) / 1000;
    this.#bar?.update(this.#done, { failed: this.#failed, rate: seconds > 0 ? (this.#done / seconds).toFixed(1) : '0.0' });
  }

  stop(): void {
    this.#bar?.stop();
    this.#bar = undefined;
  }
}

class LineProgress implements MigrationProgress {
  #done = 0;
  #total = 0;

  phase(title: string, total: number): void {
    this.#done = 0;
    this.#total = total;
    process.stderr.write(`${title}: ${total} share${total === 1 ? '' : 's'}\n`);
  }

  step(line: string, _ok: boolean): void {
    this.#done++;
    process.stderr.write(`[${this.#done}/${this.#total}] ${line}\n`);
  }

  stop(): void {}
}

export function createProgress(opts: { bar: boolean }): MigrationProgress {
  return opts.bar ? new BarProgress() : new LineProgress();
}

/** The summary's closing table: each share that did not move, at which stage, and why. */
export function failureLines(failures: { keyId: string; stage: string; code: string; message: string }[]): string[] {
  if (failures.length === 0) return [];
  return [
    'failures',
    table(
      ['KEY ID', 'STAGE', 'CODE', 'MESSAGE'],
      failures.map((f) => [f.keyId, f.stage, f.code, f.message]),
    ).trimEnd(),
  ];
}
