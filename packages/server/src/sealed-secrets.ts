import type { Secret } from '@wr/common';
import type { Sealer } from './seal.js';
import type { Db } from './database.js';

/** The table a server keeps its own long-lived secrets in (age identities, signing key), each sealed. Frozen: see migrations.ts. */
export const SEALED_SECRETS_SCHEMA = `
CREATE TABLE IF NOT EXISTS sealed_secrets (
  name TEXT PRIMARY KEY,
  public TEXT NOT NULL,
  sealed BLOB NOT NULL
) STRICT;
`;

/** Where sealed secrets are kept, for a store that is not a node's SQLite file (the workspace's PostgreSQL). */
export interface SealedSecretRows {
  read(name: string): Promise<{ public: string; sealed: Buffer } | undefined>;
  /** Keeps the row unless one by that name is there already. */
  insertIfAbsent(name: string, publicPart: string, sealed: Buffer): Promise<void>;
}

const sqliteRows = (db: Db): SealedSecretRows => ({
  read: async (name) => db.prepare('SELECT public, sealed FROM sealed_secrets WHERE name = ?').get(name) as { public: string; sealed: Buffer } | undefined,
  insertIfAbsent: async (name, publicPart, sealed) => {
    db.prepare('INSERT OR IGNORE INTO sealed_secrets (name, public, sealed) VALUES (?, ?, ?)').run(name, publicPart, sealed);
  },
});

/**
 * A server secret by name, made by `make` and sealed on first use. Two processes
 * racing on one database agree on one secret: insert if absent, then read back.
 */
export async function loadSealedSecret(
  store: Db | SealedSecretRows,
  sealer: Sealer,
  name: string,
  make: () => Promise<{ secret: Secret<Uint8Array>; public: string }>,
): Promise<{ secret: Secret<Uint8Array>; public: string }> {
  const rows = 'prepare' in store ? sqliteRows(store) : store;
  let row = await rows.read(name);
  if (!row) {
    const made = await make();
    await rows.insertIfAbsent(name, made.public, sealer.seal(made.secret.expose(), `sealed-secret ${name} ${made.public}`));
    made.secret.destroy();
    row = (await rows.read(name))!;
  }
  return { secret: sealer.open(row.sealed, `sealed-secret ${name} ${row.public}`), public: row.public };
}
