/**
 * The console's sign-in for `wr dev`: a fresh API key registered for the browser (read everything, approve, run
 * the workflow templates), handed over as a link whose fragment, `#signin=<api key id>.<Ed25519 seed, base64url>`,
 * the browser never sends to any server. The page imports the seed as a non-extractable WebCrypto key. The key
 * of the previous `wr dev` is revoked, so restarts do not pile up live console keys.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiKeyIdOf, type Scope } from '@wr/api';
import { Secret, publicKeyOfSeed, toHex } from '@wr/common';
import { ComponentModule, WorkspaceClient } from 'caller-sdk';
import type { LocalNetwork } from './network.js';

/** Reading every page, approving (APPROVE_REQUEST is an admin call), and the calls of the workflow templates. */
export const CONSOLE_SCOPES: Scope[] = [
  'nodes:read',
  'keys:read',
  'admin',
  'age:generate',
  'keys:export',
  'keys:import',
  'workflows:create',
  'workflows:read',
  'workflows:run',
];

export async function registerConsoleKey(net: LocalNetwork): Promise<{ apiKeyId: string; url: string }> {
  const admin = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, adminPublicKey: net.adminPublicKey });
  const previousFile = join(net.dir, 'console-api-key-id');
  if (existsSync(previousFile)) {
    const previous = readFileSync(previousFile, 'utf8').trim();
    await admin
      .call(ComponentModule.REVOKE_API_KEY, { apiKeyId: previous })
      .promise()
      .catch(() => undefined); // already gone, or from another network's files: nothing to revoke
  }
  const seed = new Secret(new Uint8Array(randomBytes(32)));
  try {
    const publicKey = toHex(publicKeyOfSeed(seed));
    const apiKeyId = apiKeyIdOf(publicKey);
    await admin.call(ComponentModule.CREATE_API_KEY, { name: 'console (wr dev)', scopes: CONSOLE_SCOPES, publicKey }).promise();
    writeFileSync(previousFile, `${apiKeyId}\n`, { mode: 0o600 });
    const url = `${net.baseUrl}/#signin=${apiKeyId}.${Buffer.from(seed.expose()).toString('base64url')}`;
    appendFileSync(join(net.dir, 'dev.env'), `WR_CONSOLE_URL=${url}\n`, { mode: 0o600 });
    return { apiKeyId, url };
  } finally {
    seed.destroy();
  }
}
