import { createHash } from 'node:crypto';
import { WrError, randomId, type Secret } from '@wr/common';
import { SCOPES, type Scope } from '@wr/api';
import type { Db } from '@wr/server';

export interface Caller {
  apiKeyId: string;
  name: string;
  scopes: ReadonlySet<string>;
}

/** API keys are 40 random base-36 characters behind `wr_`; only their SHA-256 is stored. */
const hashKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');
const KEY_FORMAT = /^wr_[0-9a-z]{40}$/;

export class ApiKeys {
  constructor(private readonly db: Db) {}

  create(name: string, scopes: readonly Scope[], key?: Secret<string>): { apiKeyId: string; apiKey: string } {
    const apiKey = key?.expose() ?? randomId('wr_', 40);
    if (!KEY_FORMAT.test(apiKey)) throw new Error('an API key must look like wr_ followed by 40 base-36 characters');
    const apiKeyId = randomId('ak_', 16);
    this.db
      .prepare('INSERT INTO api_keys (api_key_id, name, key_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(apiKeyId, name, hashKey(apiKey), JSON.stringify([...scopes]), new Date().toISOString());
    return { apiKeyId, apiKey };
  }

  /** Stores a known key (the dev network's) once; a restart finds it again. */
  ensure(name: string, key: Secret<string>): void {
    const row = this.db.prepare('SELECT api_key_id FROM api_keys WHERE key_hash = ?').get(hashKey(key.expose()));
    if (!row) this.create(name, SCOPES, key);
  }

  authenticate(header: string | undefined): Caller {
    const key = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!key) throw new WrError('UNAUTHENTICATED', 'no API key: send it as "authorization: Bearer wr_..." (the SDK reads WR_API_KEY)');
    const row = KEY_FORMAT.test(key)
      ? (this.db.prepare('SELECT api_key_id, name, scopes FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL').get(hashKey(key)) as
          | { api_key_id: string; name: string; scopes: string }
          | undefined)
      : undefined;
    if (!row) throw new WrError('UNAUTHENTICATED', 'the API key is not valid or was revoked: check WR_API_KEY');
    return { apiKeyId: row.api_key_id, name: row.name, scopes: new Set(JSON.parse(row.scopes) as string[]) };
  }

  list() {
    return (this.db.prepare('SELECT api_key_id, name, scopes, created_at, revoked_at FROM api_keys ORDER BY created_at').all() as {
      api_key_id: string;
      name: string;
      scopes: string;
      created_at: string;
      revoked_at: string | null;
    }[]).map((r) => ({ apiKeyId: r.api_key_id, name: r.name, scopes: JSON.parse(r.scopes) as string[], createdAt: r.created_at, revoked: r.revoked_at !== null }));
  }

  revoke(apiKeyId: string): boolean {
    const r = this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE api_key_id = ? AND revoked_at IS NULL').run(new Date().toISOString(), apiKeyId);
    if (r.changes === 0 && !this.db.prepare('SELECT 1 FROM api_keys WHERE api_key_id = ?').get(apiKeyId)) {
      throw new WrError('NOT_FOUND', `no API key ${apiKeyId}`);
    }
    return true;
  }
}

export function requireScope(caller: Caller, scope: Scope): void {
  if (!caller.scopes.has(scope)) {
    throw new WrError('PERMISSION_DENIED', `this API key lacks the ${scope} scope: create one with it (wr apikeys create --scope ${scope})`);
  }
}
