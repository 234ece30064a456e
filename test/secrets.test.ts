import { Sealer, loadMasterKey } from '@wr/server';
/**
 * Secrets never leak: after a run that exercises every component, no log line,
 * database file or HTTP response body holds a signing share, an age identity
 * or an API key that the run created. The databases hold no plaintext share.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

import { generateIdentity, unwrap } from '@wr/age';
import { ComponentModule, generateApiKey } from 'caller-sdk';
import { startTestNetwork } from '@wr/cli/test-network';
import { postgresMissing, startPostgres, type TestPostgres } from './support/postgres.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

for (const store of ['sqlite', 'postgres'] as const) {
  test(
    `no share, identity or API key appears in logs, database files or responses (workspace on ${store})`,
    {
      skip: store === 'postgres' && (postgresMissing() ?? false),
    },
    () => secretsStayHidden(store),
  );
}

async function secretsStayHidden(store: 'sqlite' | 'postgres'): Promise<void> {
  // On PostgreSQL the workspace's tables are there, dumped whole (pg_dump) and searched like the files.
  const postgres: TestPostgres | undefined = store === 'postgres' ? await startPostgres() : undefined;
  const databaseUrl = postgres ? await postgres.createDatabase('secrets') : undefined;
  const bodies: string[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const res = await realFetch(input, init);
    bodies.push(await res.clone().text());
    return res;
  };
  const net = await startTestNetwork('secrets', databaseUrl ? { databaseUrl } : {}).catch(async (err: unknown) => {
    await postgres?.stop();
    throw err;
  });
  try {
    const c = net.client;
    const secrets = new Map<string, string>([['bootstrap API key', net.apiKey]]);
    const mine = await generateIdentity('x25519');

    for (const scheme of ['frost-ed25519', 'frost-secp256k1', 'frost-secp256k1-tr'] as const) {
      const key = await c.call(ComponentModule.CREATE_KEY, { scheme, threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
      for (const s of key.shares) {
        const { wrappedKeyShare } = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: s.keyId, ageRecipient: mine.recipient }).promise();
        const envelope = JSON.parse(new TextDecoder().decode(await unwrap(wrappedKeyShare, { identities: [mine.identity] }))) as { signingShare: string };
        secrets.set(`signing share ${s.keyId}`, envelope.signingShare);
      }
      const target = await c.call(ComponentModule.GET_NODE_RECIPIENT_KEY, {}).promise();
      const moved = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[0]!.keyId, ageRecipient: target.recipientKey }).promise();
      const imported = await c.call(ComponentModule.IMPORT_KEY_SHARE, { wrappedKeyShare: moved.wrappedKeyShare }).promise();
      await c.call(ComponentModule.SIGN, { keyIds: [imported.keyId, key.shares[1]!.keyId], message: 'abcd' }).promise();
      // Gone before the rewrap: the sealing node (the default target) never opens a share of a key it holds another share of.
      await c.call(ComponentModule.DELETE_KEY_SHARE, { keyId: imported.keyId }).promise();
      const sealed = await c.call(ComponentModule.GENERATE_AGE_ENCRYPTION, { postQuantum: scheme === 'frost-secp256k1' }).promise();
      const backup = await c.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[2]!.keyId, ageRecipient: sealed.publicKey }).promise();
      const rewrapped = await c
        .call(ComponentModule.REWRAPPING_KEY_SHARE, { ageIdentity: sealed.encryptedPrivateKey, wrappedKeyShare: backup.wrappedKeyShare })
        .promise();
      assert.ok(rewrapped.encryptedPrivateKey);
    }
    const withPass = await c.call(ComponentModule.GENERATE_AGE_ENCRYPTION, { passphrase: 'correct horse battery staple' }).promise();
    const passIdentity = new TextDecoder().decode(await unwrap(withPass.encryptedPrivateKey, { passphrases: ['correct horse battery staple'] }));
    secrets.set('generated identity', /AGE-SECRET-KEY-1[0-9A-Z]+/.exec(passIdentity)![0]);
    // An API key's private half is made by its owner: no server ever sees it, the admin's included.
    const extra = generateApiKey();
    await c.call(ComponentModule.CREATE_API_KEY, { name: 'ci', scopes: ['keys:read'], publicKey: extra.publicKey }).promise();
    secrets.set('created API key', extra.apiKey);

    // Each node's own identities, unsealed here with its master key (the test plays the operator).
    for (const nodeId of net.nodes.keys()) {
      const dir = join(net.dir, nodeId);
      // wr node init keeps the master key beside the node's directory, never in it.
      const sealer = new Sealer(loadMasterKey({ file: `${dir}.master-key`, create: false }), 'node');
      const db = new Database(join(dir, 'node.db'), { readonly: true });
      for (const row of db.prepare('SELECT name, public, sealed FROM sealed_secrets').all() as { name: string; public: string; sealed: Buffer }[]) {
        const value = sealer.open(row.sealed, `sealed-secret ${row.name} ${row.public}`).expose();
        secrets.set(`${nodeId} ${row.name}`, row.name.startsWith('age') ? new TextDecoder().decode(value) : Buffer.from(value).toString('hex'));
      }
      db.close();
    }
    // The TLS private keys (the node's and the workspace's): the key files hold them, nothing else does.
    for (const owner of [...net.nodes.keys(), 'workspace']) {
      const pem = readFileSync(join(net.dir, owner, 'tls.key'), 'utf8');
      secrets.set(`${owner} TLS key`, pem.replace(/-----[A-Z ]+-----|\s/g, ''));
    }
    assert.ok(secrets.size > 20, `collected ${secrets.size} secrets`);

    await net.stop();
    const files = filesUnder(net.dir).filter(
      (f) =>
        !f.endsWith('master.key') &&
        !f.endsWith('.master-key') &&
        !f.endsWith('tls.key') &&
        !f.endsWith('workspace.token') &&
        !f.endsWith('admin-api-key') &&
        !f.endsWith('dev.env'),
    );
    assert.ok(files.some((f) => f.endsWith('node.db')) && files.some((f) => f.endsWith('.log')));
    const haystacks: [string, Buffer][] = [
      ...(postgres && databaseUrl ? [['the PostgreSQL database', Buffer.from(postgres.dump(databaseUrl))] as [string, Buffer]] : []),
      ...files.map((f) => [f, readFileSync(f)] as [string, Buffer]),
      ...bodies.map((b, i) => [`response ${i}`, Buffer.from(b)] as [string, Buffer]),
    ];
    for (const [what, secret] of secrets) {
      const needles = [Buffer.from(secret)];
      if (/^[0-9a-f]+$/.test(secret)) needles.push(Buffer.from(secret, 'hex'), Buffer.from(secret.toUpperCase()));
      for (const [where, hay] of haystacks) {
        for (const needle of needles) assert.equal(hay.indexOf(needle), -1, `${what} found in ${where}`);
      }
    }
  } finally {
    globalThis.fetch = realFetch;
    await net.cleanup();
    await postgres?.stop();
  }
}
