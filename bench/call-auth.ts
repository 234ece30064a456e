/**
 * What a signed call costs, step by step, in process: the SDK signing it, the
 * workspace checking the signature, a node checking it again (signature,
 * parameters parsed from the signed bytes) and recording its single use in its
 * SQLite file (fsync'd, as the node runs it). A SIGN touches the workspace once
 * and each signing node once; an export+import touches the workspace twice and
 * two nodes once each.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKey, generateApiKey } from 'caller-sdk';
import { ApiKeyRegistry, REGISTRY_SCHEMA, openDatabase } from '@wr/server';
import { callDigest } from '@wr/api';
import { fmt, median, sample } from './stats.js';

const N = Number(process.env['WR_BENCH_N'] ?? 2000);

async function main() {
  mkdirSync('.tmp', { recursive: true });
  const dir = mkdtempSync(join('.tmp', 'bench-call-auth-'));
  try {
    const made = generateApiKey();
    const key = new ApiKey(made.apiKey);
    const db = openDatabase(join(dir, 'node.db'));
    db.exec(REGISTRY_SCHEMA + 'CREATE TABLE used_calls (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) STRICT;');
    const registry = new ApiKeyRegistry(db, made.publicKey);
    const signBody = JSON.stringify({ keyIds: ['key_' + 'a'.repeat(26), 'key_' + 'b'.repeat(26)], message: 'ab'.repeat(32) });
    const importBody = JSON.stringify({ wrappedKeyShare: 'A'.repeat(1400), nodeId: 'node-4' });

    const signMs = await sample(N, () => key.sign('SIGN', signBody, 'idem'));
    const auth = key.sign('SIGN', signBody, 'idem');
    const wsVerifyMs = await sample(N, () => registry.verifySignature(auth));
    const nodeVerifyMs = await sample(N, () => registry.verify(auth));
    const importAuth = key.sign('IMPORT_KEY_SHARE', importBody, 'idem');
    const importVerifyMs = await sample(N, () => registry.verify(importAuth));
    const insert = db.prepare('INSERT OR IGNORE INTO used_calls (id, expires_at) VALUES (?, ?)');
    let i = 0;
    const consumeMs = await sample(Math.min(N, 500), () => insert.run(`${callDigest(auth)} ${i++}`, Date.now()));

    const sdk = median(signMs);
    const ws = median(wsVerifyMs);
    const node = median(nodeVerifyMs);
    const use = median(consumeMs);
    console.log(`SDK signs a call (sha256 of body + Ed25519)         median ${fmt(sdk)}`);
    console.log(`workspace checks the signature                     median ${fmt(ws)}`);
    console.log(`node checks it and parses the signed params (SIGN)  median ${fmt(node)}`);
    console.log(`  the same for IMPORT_KEY_SHARE (1.4 KiB share)    median ${fmt(median(importVerifyMs))}`);
    console.log(`node records the call's single use (fsync'd)        median ${fmt(use)}`);
    console.log(`added to SIGN, 2 signers, on the critical path      ~${fmt(sdk + ws + node + use)} (the two nodes work in parallel)`);
    console.log(`added to EXPORT+IMPORT, summed over both calls      ~${fmt(2 * (sdk + ws + use) + node + median(importVerifyMs))}`);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
