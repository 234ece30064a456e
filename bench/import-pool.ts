/**
 * A node's import pool (packages/node src/workers/import-pool.ts) in-process: wrapped shares of distinct keys opened
 * and checked in batches of 25 at once, on the node's own thread (0 workers) or in 1 or 2 worker threads. Prints opens
 * per second and the event loop's delay meanwhile (what every other request on the node waits): the pool's point.
 * The shares are made in a child process, so no key's checks are cached in this one beforehand.
 *   BENCH_KEYS=150 node bench/dist/import-pool.js
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { generateIdentity } from '@wr/age';
import { Secret } from '@wr/common';
import { generateSigningKey, sealEnvelope, wrapShare } from '@wr/crypto';
import { ImportPool } from '@wr/node';
import { oursKeys } from './support/dkg.js';
import { percentile } from './timing.js';

const KEYS = Number(process.env['BENCH_KEYS'] ?? 150);
const BATCH = 25;

interface Made {
  identity: string;
  exporter: string;
  wrapped: string[];
}

async function make(n: number): Promise<Made> {
  const me = await generateIdentity('x25519');
  const exporter = generateSigningKey();
  const wrapped: string[] = [];
  for (let i = 0; i < n; i++) {
    const [mine] = await oursKeys('frost-ed25519');
    const envelope = sealEnvelope(
      {
        public: mine!.public,
        secret: mine!.secret,
        source: { nodeId: 'node-1', keyId: 'key_0123456789abcdefghjkmnpqrs' },
        epoch: 0,
        exportedAt: '2026-12-02T00:00:00Z',
      },
      exporter.secretKey,
    );
    wrapped.push(await wrapShare(envelope, [me.recipient]));
  }
  return { identity: me.identity.expose(), exporter: exporter.publicKey, wrapped };
}

if (process.argv[2] === '--make') {
  process.stdout.write(JSON.stringify(await make(Number(process.argv[3]))));
} else {
  console.log(
    `machine: ${availableParallelism()} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  for (const workers of [0, 1, 2]) {
    // Fresh shares for each pool: a thread checks a key's package once and remembers it.
    const made = JSON.parse(
      execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--make', String(KEYS)], { maxBuffer: 1 << 28 }).toString(),
    ) as Made;
    const pool = new ImportPool(workers, [new Secret(made.identity)]);
    await pool.open(made.wrapped.pop()!, [made.exporter]);
    // How late a 1 ms timer fires, over and over: what any other request would wait for the thread.
    const late: number[] = [];
    let ticking = true;
    let pending = 0;
    const tick = (due: number) => {
      pending = due;
      setTimeout(() => {
        late.push(performance.now() - due);
        if (ticking) tick(performance.now() + 1);
      }, 1);
    };
    tick(performance.now() + 1);
    const t = performance.now();
    for (let i = 0; i < made.wrapped.length; i += BATCH) {
      const opened = await Promise.all(made.wrapped.slice(i, i + BATCH).map((w) => pool.open(w, [made.exporter])));
      for (const o of opened) o.envelope.secret.signingShare.destroy();
    }
    const ms = performance.now() - t;
    ticking = false;
    // The tick still waiting: a loop blocked throughout never ran one.
    late.push(performance.now() - pending);
    await pool.close();
    console.log(
      `${workers} workers: ${((made.wrapped.length * 1000) / ms).toFixed(0)} opens/s; a 1 ms timer late by p50 ${percentile(late, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(late, 99).toFixed(1)} ms, max ${Math.max(...late).toFixed(1)} ms`,
    );
  }
}
