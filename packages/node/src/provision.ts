import { join } from 'node:path';
import type { RosterNode } from '@wr/api';
import type { Secret } from '@wr/common';
import { ensureTlsIdentity, type TlsIdentity } from '@wr/server';
import { loadKeyring } from './keyring.js';
import { ShareStore } from './store.js';

/** Where a node keeps its files inside its data directory (the master key is never among them). */
export const nodeFiles = (dataDir: string) => ({
  database: join(dataDir, 'node.db'),
  tlsKey: join(dataDir, 'tls.key'),
  tlsCert: join(dataDir, 'tls.crt'),
});

export interface ProvisionOptions {
  nodeId: string;
  dataDir: string;
  masterKey: Secret<Uint8Array>;
  /** Where the workspace will reach the node, for its roster entry; its host goes into the certificate. */
  url?: string;
  /** Host names and addresses the certificate names (besides the URL's host). */
  hosts: string[];
}

/**
 * Provisions a node on its host: its database with its age identities and signing key (made and sealed exactly as on
 * a first start, by loadKeyring), and its TLS key and self-signed certificate. Returns its roster entry. Running it
 * again changes nothing and returns the same entry.
 */
export async function provisionNode(opts: ProvisionOptions): Promise<{ entry: RosterNode; tls: TlsIdentity }> {
  const files = nodeFiles(opts.dataDir);
  const store = new ShareStore(files.database, opts.masterKey);
  let keyring;
  try {
    keyring = await loadKeyring(store);
  } finally {
    store.close();
  }
  const urlHost = opts.url ? new URL(opts.url).hostname.replace(/^\[|\]$/g, '') : undefined;
  const tls = await ensureTlsIdentity(files.tlsKey, files.tlsCert, opts.nodeId, [...(urlHost ? [urlHost] : []), ...opts.hosts]);
  return {
    entry: {
      nodeId: opts.nodeId,
      ...(opts.url && { url: opts.url }),
      signingKey: keyring.signingPublicKey,
      recipientKey: keyring.recipient,
      postQuantumRecipientKey: keyring.postQuantumRecipient,
      tlsCertFingerprint: tls.fingerprint,
    },
    tls,
  };
}
