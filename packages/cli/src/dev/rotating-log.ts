import { closeSync, existsSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';

export interface LogRotation {
  /** A log file is rotated once it would grow past this many bytes (default 10 MiB). */
  maxBytes: number;
  /** How many rotated files are kept beside it: <name>.log.1 (the newest) to <name>.log.<files> (default 5). */
  files: number;
}

export const DEFAULT_LOG_ROTATION: LogRotation = { maxBytes: 10 * 1024 * 1024, files: 5 };

/**
 * A log file that rotates by size, as logrotate would: when the next write
 * would take it past `maxBytes`, <name>.log becomes <name>.log.1 (.1 becomes .2,
 * and so on; the oldest beyond `files` is dropped) and a new <name>.log is
 * started. It cuts only at the end of a line, so every JSON line stays whole
 * in one file. `wr dev` pipes each server's output through one.
 */
export class RotatingLog {
  #fd: number;
  #size: number;

  constructor(
    readonly path: string,
    readonly rotation: LogRotation = DEFAULT_LOG_ROTATION,
  ) {
    this.#fd = openSync(path, 'a', 0o600);
    this.#size = fstatSync(this.#fd).size;
  }

  write(chunk: Buffer): void {
    if (this.#size > 0 && this.#size + chunk.length > this.rotation.maxBytes) {
      // Finish the line under way in this file, then start the next file with what follows.
      const end = chunk.lastIndexOf(10) + 1;
      this.#append(chunk.subarray(0, end));
      if (end > 0) this.#rotate();
      this.#append(chunk.subarray(end));
      return;
    }
    this.#append(chunk);
  }

  /** Writes what `from` (a child's stdout or stderr) gives, until it ends. */
  follow(from: Readable): void {
    from.on('data', (chunk: Buffer) => this.write(chunk));
  }

  close(): void {
    closeSync(this.#fd);
  }

  #append(bytes: Buffer): void {
    for (let off = 0; off < bytes.length;) off += writeSync(this.#fd, bytes, off);
    this.#size += bytes.length;
  }

  #rotate(): void {
    closeSync(this.#fd);
    for (let i = this.rotation.files - 1; i >= 1; i--) {
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    if (this.rotation.files > 0) renameSync(this.path, `${this.path}.1`);
    this.#fd = openSync(this.path, this.rotation.files > 0 ? 'a' : 'w', 0o600);
    this.#size = 0;
  }
}
