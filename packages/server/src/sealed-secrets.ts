import type { Secret } from '@wr/common';
import type { Sealer } from './seal.js';
import type { Db } from './database.js';

/** The table a server keeps its own long-lived secrets in (age identities, signing key), each sealed. */
export const SEALED_SECRETS_SCHEMA = `
CREATE TABLE IF NOT EXISTS sealed_secrets (
  name TEXT PRIMARY KEY,
  public TEXT NOT NULL,
  sealed BLOB NOT NULL
) STRICT;
`;

/**
 * A server secret by name, made by `make` and sealed on first use. Two processes
 * racing on one file agree on one secret: INSERT OR IGNORE, then read back.
 */
export async function loadSealedSecret(
  db: Db,
  sealer: Sealer,
  name: string,
  make: () => Promise<{ secret: Secret<Uint8Array>; public: string }>,
): Promise<{ secret: Secret<Uint8Array>; public: string }> {
  const read = () => db.prepare('SELECT public, sealed FROM sealed_secrets WHERE name = ?').get(name) as { public: string; sealed: Buffer } | undefined;
  let row = read();
  if (!row) {
    const made = await make();
    db.prepare('INSERT OR IGNORE INTO sealed_secrets (name, public, sealed) VALUES (?, ?, ?)').run(
      name,
      made.public,
      sealer.seal(made.secret.expose(), `sealed-secret ${name} ${made.public}`),
    );
    made.secret.destroy();
    row = read()!;
  }
  return { secret: sealer.open(row.sealed, `sealed-secret ${name} ${row.public}`), public: row.public };
}
