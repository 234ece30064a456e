import type { SecretDkgState, SecretNonces } from '@wr/crypto';

/** A DKG in progress: its round secrets, and what the caller decided that the share may do. */
export interface DkgSession {
  state: SecretDkgState;
  exportable: boolean;
  /** The API key that asked for the key, and any approvers, for this node's log. */
  requester: string;
  approvedBy: string[] | undefined;
  destroy(): void;
}

/** Nonces of one signing session, with the message the caller signed for. */
export interface SignSession {
  nonces: SecretNonces;
  message: string;
  destroy(): void;
}

/**
 * One-use protocol state held in memory only: DKG round secrets and signing
 * nonces. `take` removes the entry, so a second use finds nothing; entries not
 * used in time are destroyed. Nothing here is ever written to disk.
 */
interface Destroyable {
  destroy?: () => void;
}

export class SessionStore<T extends Destroyable> {
  #entries = new Map<string, { value: T; expires: number }>();
  #timer: NodeJS.Timeout;

  constructor(private readonly ttlMs: number) {
    this.#timer = setInterval(() => this.sweep(), Math.min(ttlMs, 30_000));
    this.#timer.unref();
  }

  /** Stores a value; refuses to overwrite one still held (a replayed round). */
  put(id: string, value: T): boolean {
    if (this.#entries.has(id)) return false;
    this.#entries.set(id, { value, expires: Date.now() + this.ttlMs });
    return true;
  }

  /** Removes and returns the value: it can be taken once. */
  take(id: string): T | undefined {
    const e = this.#entries.get(id);
    if (!e) return undefined;
    this.#entries.delete(id);
    return e.expires >= Date.now() ? e.value : (e.value.destroy?.(), undefined);
  }

  get size(): number {
    return this.#entries.size;
  }

  sweep(): void {
    const now = Date.now();
    for (const [id, e] of this.#entries) {
      if (e.expires < now) {
        e.value.destroy?.();
        this.#entries.delete(id);
      }
    }
  }

  close(): void {
    clearInterval(this.#timer);
    for (const e of this.#entries.values()) e.value.destroy?.();
    this.#entries.clear();
  }
}
