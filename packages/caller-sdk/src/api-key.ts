import { createHash } from 'node:crypto';
import { apiKeyIdOf, callMessage, rosterMessage, type CallerAuth, type Roster, type SignedRoster } from '@wr/api';
import { Secret, WrError, publicKeyOfSeed, randomId, signRaw, toHex } from '@wr/common';

/**
 * An API key is a string, `wr_` and 40 base-36 characters (206 random bits),
 * from which an Ed25519 key pair follows. The string is the private half: it
 * stays with its owner and signs every call. The public half is what an admin
 * registers (CREATE_API_KEY), and what the workspace and every node check
 * signatures against.
 */
const API_KEY_FORMAT = /^wr_[0-9a-z]{40}$/;

export interface GeneratedApiKey {
  /** The private half: pass it to `new WorkspaceClient({ apiKey })`; never send it anywhere. */
  apiKey: string;
  /** The public half, 64 hex digits: register it with CREATE_API_KEY (`wr apikeys create`). */
  publicKey: string;
  /** Its id, as the registry and the audit log name it. */
  apiKeyId: string;
}

/** A loaded API key: signs calls, never shows its seed. */
export class ApiKey {
  readonly publicKey: string;
  readonly apiKeyId: string;
  readonly #seed: Secret<Uint8Array>;

  constructor(apiKey: string) {
    if (typeof apiKey !== 'string' || !API_KEY_FORMAT.test(apiKey)) {
      throw new WrError('UNAUTHENTICATED', 'apiKey: expected wr_ followed by 40 letters and digits, as `npm start` printed it (WR_API_KEY in .wr/dev.env)');
    }
    this.#seed = new Secret(new Uint8Array(createHash('sha256').update(`wr-api-key-seed-v1\n${apiKey}`).digest()));
    this.publicKey = toHex(publicKeyOfSeed(this.#seed));
    this.apiKeyId = apiKeyIdOf(this.publicKey);
  }

  /** Signs one call: the body exactly as it will be sent. */
  sign(component: string, body: string, idempotencyKey: string, timestamp = Date.now()): CallerAuth {
    const signature = toHex(signRaw(this.#seed, callMessage({ component, idempotencyKey, timestamp, body })));
    return { apiKeyId: this.apiKeyId, component, idempotencyKey, timestamp, body, signature };
  }

  /** Signs a network roster (the root admin key does, when a network is set up or changes). */
  signRoster(roster: Roster): SignedRoster {
    const text = JSON.stringify(roster);
    return { roster: text, signature: toHex(signRaw(this.#seed, rosterMessage(text))) };
  }

  /**
   * The link that signs the web console (which the workspace at `baseUrl` serves) in as this key:
   * `#signin=<api key id>.<Ed25519 seed, base64url>`. It is in the fragment, which a browser never sends; the page
   * keeps the seed as a non-extractable key. As secret as the key itself.
   */
  consoleSignInLink(baseUrl: string): string {
    return `${baseUrl.replace(/\/+$/, '')}/#signin=${this.apiKeyId}.${Buffer.from(this.#seed.expose()).toString('base64url')}`;
  }

  toJSON(): string {
    return `ApiKey(${this.apiKeyId})`;
  }
}

/** Makes a new API key pair, here, with no call to anyone. */
export function generateApiKey(): GeneratedApiKey {
  const apiKey = randomId('wr_', 40);
  const k = new ApiKey(apiKey);
  return { apiKey, publicKey: k.publicKey, apiKeyId: k.apiKeyId };
}

/** The public half and id of an API key. */
export function describeApiKey(apiKey: string): { publicKey: string; apiKeyId: string } {
  const k = new ApiKey(apiKey);
  return { publicKey: k.publicKey, apiKeyId: k.apiKeyId };
}
