import { inspect } from 'node:util';

/**
 * A secret value: key material that must never be printed, logged or serialized
 * by accident. It prints as `<redacted>`, refuses JSON.stringify, and can be
 * zeroed once used. Reach the bytes only through `expose()`, at the point of use.
 */
export class Secret<T extends Uint8Array | string = Uint8Array> {
  #value: T | undefined;

  constructor(value: T) {
    this.#value = value;
  }

  /** The secret itself. Throws once the secret was destroyed. */
  expose(): T {
    if (this.#value === undefined) throw new Error('secret was destroyed');
    return this.#value;
  }

  get destroyed(): boolean {
    return this.#value === undefined;
  }

  /** Zeroes the bytes (where the value is bytes) and forgets the value. */
  destroy(): void {
    if (this.#value instanceof Uint8Array) this.#value.fill(0);
    this.#value = undefined;
  }

  toString(): string {
    return '<redacted>';
  }

  toJSON(): never {
    throw new TypeError('a Secret cannot be serialized to JSON');
  }

  [inspect.custom](): string {
    return 'Secret(<redacted>)';
  }
}
