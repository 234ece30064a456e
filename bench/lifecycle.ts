/**
 * The share lifecycle through the network, one call at a time, for a 2-of-3
 * FROST(Ed25519) key: REFRESH_KEY among its holders, and RESHARE_KEY back and
 * forth between nodes 1–3 and 2–4 (2-of-3 ↔ 3-of-3). CREATE_KEY of the same
 * key is the baseline, measured in the same run: each lifecycle call is a
 * protocol of about the same shape between the same nodes.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalNetwork } from '@wr/cli';
import { ComponentModule, WorkspaceClient } from 'caller-sdk';
import { fmt, median, sample } from './stats.js';

const N = Number(process.env['WR_BENCH_N'] ?? 10);

async function main() {
  mkdirSync('.tmp', { recursive: true });
  const dir = mkdtempSync(join('.tmp', 'bench-lifecycle-'));
  const net = await startLocalNetwork({ dir, port: 0, env: { WR_LOG_LEVEL: 'warn' } });
  try {
    const ws = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl });
    const create = () => ws.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
    const createMs = await sample(N, create, 2);
    const key = await create();
    const refreshMs = await sample(N, () => ws.call(ComponentModule.REFRESH_KEY, { publicKey: key.publicKey }).promise(), 2);
    let there = false;
    const reshare = () => {
      there = !there;
      const to = there ? { threshold: 3, nodeIds: ['node-2', 'node-3', 'node-4'] } : { threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] };
      return ws.call(ComponentModule.RESHARE_KEY, { publicKey: key.publicKey, ...to }).promise();
    };
    const reshareMs = await sample(N, reshare, 2);
    const ratio = (x: number[]) => `${(median(x) / median(createMs)).toFixed(2)}× CREATE_KEY`;
    console.log(`CREATE_KEY 2-of-3 (baseline)                      median ${fmt(median(createMs))}`);
    console.log(`REFRESH_KEY 2-of-3                                median ${fmt(median(refreshMs))}   ${ratio(refreshMs)}`);
    console.log(`RESHARE_KEY 2-of-3 on 1–3 ↔ 3-of-3 on 2–4         median ${fmt(median(reshareMs))}   ${ratio(reshareMs)}`);
  } finally {
    await net.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
