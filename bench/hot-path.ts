/**
 * The two server hot paths of issue 15 on their own, for profiling: SIGN 2-of-2
 * ed25519 with 32 in flight, and the bulk move (EXPORT_KEY_SHARES +
 * IMPORT_KEY_SHARES, batches of 25, 16 in flight), on one local network (a
 * workspace and four nodes, each its own process). With WR_BENCH_PROFILE=<dir>
 * every server writes a CPU profile of each phase into <dir>
 * (bench/support/cpu-profile.mjs): <argv>-<pid>-0 is SIGN, -1 the move.
 *   WR_BENCH_SIGNS=1000 WR_BENCH_MOVE=400 WR_BENCH_PROFILE=.tmp/prof node bench/dist/hot-path.js
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalNetwork } from '@wr/cli';
import { ComponentModule, WorkspaceClient } from 'caller-sdk';
import { fmt, median, percentile, pool, sample } from './stats.js';

const SIGNS = Number(process.env['WR_BENCH_SIGNS'] ?? 1000);
const MOVE = Number(process.env['WR_BENCH_MOVE'] ?? 400);
const PROFILE = process.env['WR_BENCH_PROFILE'];
const BATCH = 25;

/** A process's CPU time so far (user + system), in ms, from /proc: what a phase cost it, whatever else the machine ran. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function main() {
  console.log(
    `machine: ${availableParallelism()} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  mkdirSync('.tmp', { recursive: true });
  const dir = mkdtempSync(join('.tmp', 'bench-hot-path-'));
  if (PROFILE) mkdirSync(PROFILE, { recursive: true });
  const net = await startLocalNetwork({
    dir,
    port: 0,
    env: {
      WR_LOG_LEVEL: 'warn',
      ...(PROFILE && { NODE_OPTIONS: `--import ${resolve('bench/support/cpu-profile.mjs')}`, WR_CPU_PROFILE_DIR: resolve(PROFILE) }),
    },
  });
  try {
    const ws = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl });
    const keys: { keyId: string; partner: string }[] = [];
    await pool([...Array(Math.max(MOVE, 50)).keys()], 16, async () => {
      const k = await ws.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise();
      keys.push({ keyId: k.shares[0]!.keyId, partner: k.shares[1]!.keyId });
    });
    const msg = 'ab'.repeat(32);

    const servers = [net.workspace, ...net.nodes.values()];
    // Profiles cover each phase alone: SIGUSR2 starts and stops them (bench/support/cpu-profile.mjs).
    const names = ['workspace', ...net.nodes.keys()];
    const toggleProfiles = async () => {
      if (PROFILE) for (const s of servers) process.kill(s.process.pid!, 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 300));
    };
    // CPU ms per operation in each process (and in this one, the callers), over a phase.
    const cpuNow = () => [...servers.map((s) => cpuMs(s.process.pid!)), cpuMs(process.pid)];
    const cpuPer = (before: number[], ops: number) =>
      cpuNow()
        .map((ms, i) => `${[...names, 'bench'][i]} ${((ms - before[i]!) / ops).toFixed(2)}`)
        .join(', ');
    const lat: number[] = [];
    await toggleProfiles();
    let cpu = cpuNow();
    let t = performance.now();
    await pool([...Array(SIGNS).keys()], 32, async (i) => {
      const k = keys[i % keys.length]!;
      const s = performance.now();
      await ws.call(ComponentModule.SIGN, { keyIds: [k.keyId, k.partner], message: msg }).promise();
      lat.push(performance.now() - s);
    });
    let ms = performance.now() - t;
    const signCpu = cpuPer(cpu, lat.length);
    await toggleProfiles();
    console.log(
      `SIGN 2-of-2, 32 in flight: ${lat.length} signs, ${((lat.length * 1000) / ms).toFixed(0)} signs/s, ` +
        `p50 ${fmt(percentile(lat, 50))}, p99 ${fmt(percentile(lat, 99))}; CPU ms per sign: ${signCpu}`,
    );

    const { recipientKey } = await ws.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-3' }).promise();
    const moving = keys.slice(0, MOVE);
    const batches = Array.from({ length: Math.ceil(moving.length / BATCH) }, (_, i) => moving.slice(i * BATCH, (i + 1) * BATCH));
    let moved = 0;
    let failed = 0;
    await toggleProfiles();
    cpu = cpuNow();
    t = performance.now();
    await pool(batches, 16, async (batch) => {
      const exported = await ws
        .call(ComponentModule.EXPORT_KEY_SHARES, { items: batch.map((k) => ({ keyId: k.keyId, ageRecipient: recipientKey })) })
        .promise();
      const wrapped = exported.results.flatMap((r) => (r.ok ? [r.wrappedKeyShare!] : []));
      for (const r of exported.results) if (!r.ok && failed++ < 3) console.error('export failed:', r.error);
      if (wrapped.length === 0) return;
      const imported = await ws.call(ComponentModule.IMPORT_KEY_SHARES, { items: wrapped.map((w) => ({ wrappedKeyShare: w, nodeId: 'node-3' })) }).promise();
      for (const r of imported.results) {
        if (r.ok) moved++;
        else failed++;
      }
    });
    ms = performance.now() - t;
    const moveCpu = cpuPer(cpu, moved);
    await toggleProfiles();
    console.log(
      `bulk move, batches of ${BATCH}, 16 in flight: ${moved} moved, ${failed} failed, ${((moved * 1000) / ms).toFixed(0)} shares/s; ` +
        `CPU ms per share: ${moveCpu}`,
    );

    // EXPORT_KEY_SHARE + IMPORT_KEY_SHARE one at a time (node-1 → node-4): the sequential commits and hops of a call.
    const { recipientKey: node4 } = await ws.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-4' }).promise();
    const k0 = keys[keys.length - 1]!;
    const roundTrip = await sample(30, async () => {
      const { wrappedKeyShare } = await ws.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: k0.keyId, ageRecipient: node4 }).promise();
      await ws.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare, nodeId: 'node-4' }).promise();
    });
    console.log(`export+import one at a time: median ${fmt(median(roundTrip))}`);
  } finally {
    await net.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  if (PROFILE) console.log(`CPU profiles in ${PROFILE}`);
}

await main();
