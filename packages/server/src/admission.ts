/**
 * Backpressure: a bound on the work a server takes on. A pool runs at most
 * `maxInFlight` tasks at once; up to `maxQueued` more wait for a slot, first
 * come first served, each for at most `maxQueueWaitMs`. A task beyond the
 * queue, or one that waited its whole bound, is refused with a retryable
 * RESOURCE_EXHAUSTED (the server answers it with Retry-After): the caller
 * learns at once that the server is busy rather than waiting without end.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { WrError } from '@wr/common';

export interface AdmissionLimits {
  /** Tasks running at once. */
  maxInFlight: number;
  /** Tasks waiting for a slot; one more is refused at once. */
  maxQueued: number;
  /** The longest a task waits for a slot before it is refused, in milliseconds. */
  maxQueueWaitMs: number;
}

/** Each limit a positive integer (maxQueued may be 0: no queue): CONFIG_INVALID naming `param.<limit>` otherwise. */
export function checkAdmissionLimits(limits: AdmissionLimits, param: string): AdmissionLimits {
  for (const [name, value] of Object.entries(limits)) {
    const least = name === 'maxQueued' ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < least) {
      throw new WrError('CONFIG_INVALID', `${param}.${name}: ${String(value)} is not a whole number of at least ${least}`, { param: `${param}.${name}` });
    }
  }
  return limits;
}

interface Waiter {
  admit(): void;
  timer: NodeJS.Timeout;
}

export class Admission {
  #running = 0;
  /** Waiting tasks in arrival order (a Set keeps insertion order, and a task that gives up leaves it in O(1)). */
  readonly #waiting = new Set<Waiter>();
  #refused = 0;

  constructor(
    /** The pool's label on /metrics: `heavy`, `node-2`. */
    readonly pool: string,
    /** What the pool bounds, as a refused caller reads it: "heavy protocol steps on node-1", "requests to node-2". */
    readonly what: string,
    readonly limits: AdmissionLimits,
  ) {}

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#waiting.size;
  }

  /** Tasks refused since the start. */
  get refused(): number {
    return this.#refused;
  }

  /**
   * RESOURCE_EXHAUSTED when a task arriving now would be refused at once: lets a server refuse a request before it
   * reads and checks its body, which costs more than the refusal (run() still decides).
   */
  refuseIfFull(): void {
    if (this.#running >= this.limits.maxInFlight && this.#waiting.size >= this.limits.maxQueued) {
      throw this.#refuse(`${this.#running} running and ${this.#waiting.size} waiting, its bound`);
    }
  }

  /** Runs `task` once a slot is free; RESOURCE_EXHAUSTED, before `task` starts, if none frees up within the bounds. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(): Promise<void> | void {
    if (this.#running < this.limits.maxInFlight && this.#waiting.size === 0) {
      this.#running++;
      return;
    }
    if (this.#waiting.size >= this.limits.maxQueued) {
      throw this.#refuse(`${this.#running} running and ${this.#waiting.size} waiting, its bound`);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          this.#waiting.delete(waiter);
          reject(this.#refuse(`no slot freed up within ${this.limits.maxQueueWaitMs} ms`));
        }, this.limits.maxQueueWaitMs),
      };
      this.#waiting.add(waiter);
    });
  }

  #release(): void {
    const next = this.#waiting.values().next();
    if (next.done) {
      this.#running--;
      return;
    }
    // The slot passes straight to the longest waiting task: #running stays as it is.
    this.#waiting.delete(next.value);
    next.value.admit();
  }

  #refuse(why: string): WrError {
    this.#refused++;
    return new WrError('RESOURCE_EXHAUSTED', `${this.what} are at their bound (${why}): retry after the Retry-After seconds`, { retryable: true });
  }
}

/** Each pool's running and waiting tasks, its bound, and its refusals, on a server's /metrics. */
export function admissionMetrics(registry: Registry, pools: () => Iterable<Admission>): void {
  const labelNames = ['pool'] as const;
  const gauge = (name: string, help: string, value: (p: Admission) => number) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        for (const p of pools()) this.set({ pool: p.pool }, value(p));
      },
    });
  gauge('wr_admission_running', 'Tasks running in a bounded pool', (p) => p.running);
  gauge('wr_admission_queued', 'Tasks waiting for a slot in a bounded pool', (p) => p.queued);
  gauge('wr_admission_max_in_flight', 'The most tasks a bounded pool runs at once', (p) => p.limits.maxInFlight);
  // Brought up to each pool's own count at every scrape.
  const seen = new Map<Admission, number>();
  new Counter({
    name: 'wr_admission_refused_total',
    help: 'Tasks a bounded pool refused with RESOURCE_EXHAUSTED',
    labelNames,
    registers: [registry],
    collect() {
      for (const p of pools()) {
        this.inc({ pool: p.pool }, p.refused - (seen.get(p) ?? 0));
        seen.set(p, p.refused);
      }
    },
  });
}
