import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export { median, percentile } from './timing.js';

/** Runs `fn` `n` times after `warmup` runs; returns each run's milliseconds. */
export async function sample(n: number, fn: () => unknown, warmup = Math.min(5, n)): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

/** Peak and current resident memory of a process, in MiB (Linux /proc). */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

/**
 * A server's JS heap in use after a full collection, in MiB. The process must
 * run with `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=<snapshotDir>`: the
 * snapshot that SIGUSR2 writes forces the collection (and is then deleted), and
 * the server's /metrics reports the heap. Flat figures across a load mean no leak.
 */
export async function heapAfterGcMiB(pid: number, snapshotDir: string, metricsUrl: string, metricsToken: string): Promise<number> {
  const before = new Set(readdirSync(snapshotDir));
  process.kill(pid, 'SIGUSR2');
  for (let lastSize = -1; ;) {
    await new Promise((r) => setTimeout(r, 500));
    const file = readdirSync(snapshotDir).find((f) => !before.has(f));
    if (!file) continue;
    const size = statSync(join(snapshotDir, file)).size;
    if (size > 0 && size === lastSize) {
      rmSync(join(snapshotDir, file));
      break;
    }
    lastSize = size;
  }
  const metrics = await (await fetch(metricsUrl, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
  return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(metrics)?.[1] ?? NaN) / 2 ** 20;
}

export const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

/** Runs `tasks` with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, task: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await task(items[i]!, i);
      }
    }),
  );
}
