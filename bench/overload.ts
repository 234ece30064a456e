/**
 * Backpressure under overload, through the real network with its default bounds:
 * WR_BENCH_SECONDS (20) of SIGN from 32 clients, then from 400, each client
 * signing in a loop and, when told RESOURCE_EXHAUSTED, waiting out Retry-After
 * (1 s, spread by up to half) before it signs again. Reports the throughput,
 * p50/p99/max of the successful calls, and the refusals with how fast they came.
 * Then the same 400 clients against a network whose bounds are lifted
 * (WR_BENCH_UNBOUNDED=0 skips it): what the bounds save. Clients keep their
 * connections open, as an application's do.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalNetwork } from '@wr/cli';
import { ComponentModule, WorkspaceClient, WorkspaceError } from 'caller-sdk';
import { fmt, percentile } from './stats.js';

const SECONDS = Number(process.env['WR_BENCH_SECONDS'] ?? 20);
const UNBOUNDED = process.env['WR_BENCH_UNBOUNDED'] !== '0';
/** Bounds no load here reaches. */
const LIFTED = { WR_MAX_IN_FLIGHT: '100000', WR_MAX_QUEUED: '100000', WR_NODE_MAX_IN_FLIGHT: '100000', WR_NODE_MAX_QUEUED: '100000' };

async function run(label: string, env: Record<string, string>, clientCounts: number[]) {
  mkdirSync('.tmp', { recursive: true });
  const dir = mkdtempSync(join('.tmp', 'bench-overload-'));
  const net = await startLocalNetwork({ dir, port: 0, env: { WR_LOG_LEVEL: 'warn', ...env } });
  try {
    // No retries: each attempt is measured as the server answered it.
    const ws = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, maxRetries: 0, timeoutMs: 60_000 });
    const keys: string[][] = [];
    for (const nodeIds of [
      ['node-1', 'node-2'],
      ['node-3', 'node-4'],
      ['node-1', 'node-3'],
      ['node-2', 'node-4'],
    ]) {
      const k = await ws.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds }).promise();
      keys.push(k.shares.map((s) => s.keyId));
    }
    for (const clients of clientCounts) {
      // Each client's connection is opened first: 400 new connections at once are a storm of their own (on a loaded
      // 2-core machine the workspace takes seconds to accept them all), which no bound on work in flight governs.
      await Promise.all(Array.from({ length: clients }, async () => (await fetch(`${net.baseUrl}/healthz`)).text()));
      const ok: number[] = [];
      const refused: number[] = [];
      let errors = 0;
      const until = Date.now() + SECONDS * 1000;
      await Promise.all(
        Array.from({ length: clients }, async (_, c) => {
          for (let i = 0; Date.now() < until; i++) {
            const t = performance.now();
            try {
              await ws.call(ComponentModule.SIGN, { keyIds: keys[(c + i) % keys.length]!, message: 'ab'.repeat(32) }).promise();
              ok.push(performance.now() - t);
            } catch (err) {
              if (!(err instanceof WorkspaceError && err.code === 'RESOURCE_EXHAUSTED')) {
                if (errors++ < 3) console.error(`  error: ${(err as Error).message}`);
                continue;
              }
              refused.push(performance.now() - t);
              await new Promise((r) => setTimeout(r, 1000 * (1 + Math.random() / 2)));
            }
          }
        }),
      );
      console.log(
        `${label}, ${String(clients).padStart(3)} clients × ${SECONDS} s: ${(ok.length / SECONDS).toFixed(1)} signatures/s, ` +
          `p50 ${fmt(percentile(ok, 50))}, p99 ${fmt(percentile(ok, 99))}, max ${fmt(Math.max(...ok))}; ` +
          `RESOURCE_EXHAUSTED ${refused.length}` +
          (refused.length ? ` (p50 ${fmt(percentile(refused, 50))}, p99 ${fmt(percentile(refused, 99))} to answer)` : '') +
          `; other errors ${errors}`,
      );
      if (errors > 0) process.exitCode = 1;
    }
  } finally {
    await net.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await run('default bounds', {}, [32, 400]);
if (UNBOUNDED) await run('bounds lifted ', LIFTED, [400]);
