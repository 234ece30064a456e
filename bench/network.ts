/**
 * The network's hot paths against in-process baselines, measured in one run:
 *  - EXPORT_KEY_SHARE + IMPORT_KEY_SHARE through the network vs a bare age-encryption encrypt+decrypt of the same size (target: within 5×);
 *  - SIGN with a 2-of-3 FROST(Ed25519) key vs noble's in-process FROST sign + aggregate for two parties (target: within 1.5×);
 *  - CREATE_KEY 2-of-3 vs noble's in-process DKG.
 */
import { rmSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { startLocalNetwork } from '@wr/cli';
import { ComponentModule, WorkspaceClient } from 'caller-sdk';
import { nobleDkg, nobleSign } from './noble.js';
import { fmt, median, sample } from './stats.js';

const N = Number(process.env['WR_BENCH_N'] ?? 50);

async function main() {
  mkdirSync('.tmp', { recursive: true });
  const dir = mkdtempSync(join('.tmp', 'bench-network-'));
  const net = await startLocalNetwork({ dir, port: 0, env: { WR_LOG_LEVEL: 'warn' } });
  try {
    const ws = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl });
    const create = () => ws.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();

    const createMs = await sample(Math.min(N, 30), create);
    const nobleDkgMs = await sample(Math.min(N, 30), () => nobleDkg(2, 3));
    console.log(`CREATE_KEY 2-of-3 (network)        median ${fmt(median(createMs))}`);
    console.log(`  noble DKG 2-of-3 (in-process)    median ${fmt(median(nobleDkgMs))}   ratio ${(median(createMs) / median(nobleDkgMs)).toFixed(2)}×`);

    const key = await create();
    const msg = 'ab'.repeat(32);
    const signMs = await sample(N, () => ws.call(ComponentModule.SIGN, { keyIds: [key.shares[0]!.keyId, key.shares[1]!.keyId], message: msg }).promise());
    const local = nobleDkg(2, 3);
    const nobleSignMs = await sample(N, () => nobleSign(local, Buffer.from(msg, 'hex')));
    const signRatio = median(signMs) / median(nobleSignMs);
    console.log(`SIGN 2-of-3 (network)              median ${fmt(median(signMs))}`);
    console.log(`  noble sign+aggregate, 2 parties  median ${fmt(median(nobleSignMs))}   ratio ${signRatio.toFixed(2)}× (target ≤ 1.5×)`);

    const { recipientKey } = await ws.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-4' }).promise();
    let size = 0;
    const roundTripMs = await sample(N, async () => {
      const { wrappedKeyShare } = await ws.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: recipientKey }).promise();
      size = wrappedKeyShare.length;
      await ws.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare, nodeId: 'node-4' }).promise();
    });
    const identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    const payload = new Uint8Array(Math.round(size * 0.7));
    const ageMs = await sample(N, async () => {
      const e = new Encrypter();
      e.addRecipient(recipient);
      const d = new Decrypter();
      d.addIdentity(identity);
      await d.decrypt(await e.encrypt(payload));
    });
    const rtRatio = median(roundTripMs) / median(ageMs);
    console.log(`EXPORT+IMPORT round trip (network) median ${fmt(median(roundTripMs))}   (wrapped share ${size} chars)`);
    console.log(`  age-encryption encrypt+decrypt   median ${fmt(median(ageMs))}   ratio ${rtRatio.toFixed(2)}× (target ≤ 5×)`);
  } finally {
    await net.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
