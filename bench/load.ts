/**
 * Load through the real network:
 *  - bulk migration: WR_BENCH_SHARES (1000) shares exported from node-1 and imported into node-3:
 *    throughput, p50/p99 latency, each process's peak memory;
 *  - sustained load: 32 concurrent clients mixing SIGN, EXPORT and IMPORT for WR_BENCH_SECONDS (60):
 *    throughput, p99, errors (must be zero), memory at the start and the end, and the
 *    workspace's heap after a full collection at each third of it (flat means no leak).
 */
import { readFileSync, rmSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalNetwork, type LocalNetwork } from '@wr/cli';
import { ComponentModule, WorkspaceClient } from 'caller-sdk';
import { fmt, heapAfterGcMiB, memoryOf, percentile, pool } from './stats.js';

const SHARES = Number(process.env['WR_BENCH_SHARES'] ?? 1000);
const SECONDS = Number(process.env['WR_BENCH_SECONDS'] ?? 60);
const CLIENTS = 32;

function memoryTable(net: LocalNetwork, label: string) {
  const procs = [net.workspace, ...net.nodes.values()];
  console.log(
    `  memory (${label}): ` +
      procs
        .map((p) => {
          const m = memoryOf(p.process.pid!);
          return `${p.name} rss ${m.rssMiB.toFixed(0)} MiB peak ${m.peakMiB.toFixed(0)} MiB`;
        })
        .join(', '),
  );
}

async function main() {
  mkdirSync('.tmp', { recursive: true });
  const dir = mkdtempSync(join('.tmp', 'bench-load-'));
  const snapshots = join(dir, 'heap-snapshots');
  mkdirSync(snapshots);
  const net = await startLocalNetwork({
    dir,
    port: 0,
    env: { WR_LOG_LEVEL: 'warn', NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshots}` },
  });
  const workspaceHeap = () =>
    heapAfterGcMiB(net.workspace.process.pid!, snapshots, `${net.baseUrl}/metrics`, readFileSync(join(net.dir, 'workspace', 'metrics.token'), 'utf8').trim());
  try {
    const ws = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl });

    // Setup: SHARES keys of 2-of-2 on node-1 and node-2, so node-1 holds SHARES shares.
    let t = performance.now();
    const keys: { keyId: string; partner: string }[] = [];
    await pool([...Array(SHARES).keys()], 8, async () => {
      const k = await ws.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise();
      keys.push({ keyId: k.shares[0]!.keyId, partner: k.shares[1]!.keyId });
    });
    console.log(`setup: ${SHARES} keys created in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const { recipientKey } = await ws.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-3' }).promise();
    const lat: number[] = [];
    t = performance.now();
    await pool(keys, 16, async (k) => {
      const s = performance.now();
      const { wrappedKeyShare } = await ws.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: k.keyId, ageRecipient: recipientKey }).promise();
      await ws.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare, nodeId: 'node-3' }).promise();
      lat.push(performance.now() - s);
    });
    const secs = (performance.now() - t) / 1000;
    console.log(
      `bulk migration: ${SHARES} shares node-1 → node-3 in ${secs.toFixed(1)} s: ` +
        `${(SHARES / secs).toFixed(0)} shares/s, p50 ${fmt(percentile(lat, 50))}, p99 ${fmt(percentile(lat, 99))}`,
    );
    memoryTable(net, 'after migration, peak covers it');

    // Sustained mixed load, in thirds, with the workspace's heap after a full collection between them.
    memoryTable(net, 'load start');
    const heaps = [await workspaceHeap()];
    const ops: number[] = [];
    let errors = 0;
    const sample = () => keys[Math.floor(Math.random() * keys.length)]!;
    for (let third = 0; third < 3; third++) {
      const until = Date.now() + (SECONDS * 1000) / 3;
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          for (let i = 0; Date.now() < until; i++) {
            const k = sample();
            const s = performance.now();
            try {
              const kind = (c + i) % 3;
              if (kind === 0) await ws.call(ComponentModule.SIGN, { keyIds: [k.keyId, k.partner], message: 'ab'.repeat(32) }).promise();
              else {
                const { wrappedKeyShare } = await ws.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: k.keyId, ageRecipient: recipientKey }).promise();
                if (kind === 2) await ws.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare, nodeId: 'node-3' }).promise();
              }
              ops.push(performance.now() - s);
            } catch (err) {
              errors++;
              if (errors < 5) console.error('error under load:', (err as Error).message);
            }
          }
        }),
      );
      heaps.push(await workspaceHeap());
    }
    console.log(
      `sustained load: ${CLIENTS} clients × ${SECONDS} s: ${ops.length} calls, ${(ops.length / SECONDS).toFixed(0)} ` +
        `calls/s, p50 ${fmt(percentile(ops, 50))}, p99 ${fmt(percentile(ops, 99))}, errors ${errors}`,
    );
    memoryTable(net, 'load end');
    console.log(`  workspace heap after a full collection (start, then each third): ${heaps.map((h) => `${h.toFixed(1)} MiB`).join(' → ')}`);
    if (errors > 0) process.exitCode = 1;
  } finally {
    await net.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
