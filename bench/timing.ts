// Timing helpers shared by the benchmarks: per-call wall time, reported as a
// median (robust to GC pauses and a noisy machine).

export interface TimeItOptions {
  /** Timed calls. */
  iterations: number;
  /** Untimed calls first, to let the JIT and caches settle. */
  warmup?: number;
  /** Stop timing after this many milliseconds even if fewer than `iterations` calls ran (at least one always runs). */
  budgetMs?: number;
}

export interface Timing {
  label: string;
  /** Median time per call, in microseconds. */
  medianUs: number;
  /** Every timed call, in microseconds, in call order. */
  samples: number[];
}

/** The median of `samples` (the mean of the middle two for an even count); NaN for none. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs `fn` `warmup` times, then times up to `iterations` calls one by one (awaiting each). */
export async function timeIt(
  label: string,
  fn: () => unknown,
  { iterations, warmup = Math.ceil(iterations / 10), budgetMs = Number.POSITIVE_INFINITY }: TimeItOptions,
): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  const deadline = performance.now() + budgetMs;
  for (let i = 0; i < iterations && (i === 0 || performance.now() < deadline); i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return { label, medianUs: median(samples), samples };
}

/** The p-th percentile (0-100) of `samples`, nearest rank; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** `label ....  123.4 µs` */
export function formatTiming(t: Pick<Timing, 'label' | 'medianUs'>, width = 58): string {
  return `${t.label.padEnd(width, ' ')} ${t.medianUs.toFixed(1).padStart(9)} µs`;
}
