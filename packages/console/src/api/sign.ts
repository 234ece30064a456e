/**
 * Signed calls in the browser, byte for byte as @wr/api's callMessage and the
 * SDK's signedHeaders (test/sign.test.ts holds them equal): SHA-256 and
 * Ed25519 from WebCrypto, so nothing here needs node:crypto, and the private
 * key is a non-extractable CryptoKey that no script can read back.
 */

/** What one call's signature covers (the SDK's CallerAuth without apiKeyId and signature). */
export interface CallToSign {
  component: string;
  idempotencyKey: string;
  timestamp: number;
  /** The JSON body exactly as it is sent. */
  body: string;
}

/** A signed-in console: its API key's id and its private half, which only signs. */
export interface SigningKey {
  apiKeyId: string;
  privateKey: CryptoKey;
}

const utf8 = new TextEncoder();

/** The bytes an API key signs for one call: `wr-call-v1\n<component>\n<idempotency key>\n<time>\n` then SHA-256 of the body. */
export async function callMessage(c: CallToSign): Promise<Uint8Array<ArrayBuffer>> {
  const head = utf8.encode(`wr-call-v1\n${c.component}\n${c.idempotencyKey}\n${c.timestamp}\n`);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(c.body)));
  const message = new Uint8Array(head.length + digest.length);
  message.set(head);
  message.set(digest, head.length);
  return message;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** The headers that sign one call (a fresh time, so each attempt is a new signature). */
export async function signedHeaders(key: SigningKey, c: Omit<CallToSign, 'timestamp'>, timestamp = Date.now()): Promise<Record<string, string>> {
  const message = await callMessage({ ...c, timestamp });
  const signature = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, message));
  return {
    'wr-api-key-id': key.apiKeyId,
    'wr-timestamp': String(timestamp),
    'wr-signature': hex(signature),
    'idempotency-key': c.idempotencyKey,
  };
}

// RFC 8410: a raw 32-byte Ed25519 seed inside a PKCS #8 PrivateKeyInfo.
const PKCS8_ED25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

/** Imports a 32-byte Ed25519 seed as a non-extractable signing key; the seed bytes are zeroed. */
export async function importSeed(seed: Uint8Array): Promise<CryptoKey> {
  if (seed.length !== 32) throw new Error('the sign-in key must be 32 bytes');
  const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32);
  der.set(PKCS8_ED25519_PREFIX);
  der.set(seed, PKCS8_ED25519_PREFIX.length);
  try {
    return await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, false, ['sign']);
  } finally {
    der.fill(0);
    seed.fill(0);
  }
}

const API_KEY_ID = /^ak_[a-z2-7]{16}$/;

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new Error('not base64url');
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/**
 * The sign-in link's fragment, `#signin=<api key id>.<seed as base64url>` (`wr dev` prints it; a fragment is
 * never sent to a server). Undefined when the fragment holds no sign-in; throws when it holds a malformed one.
 */
export function parseSignInFragment(hash: string): { apiKeyId: string; seed: Uint8Array } | undefined {
  const m = /^#?signin=([^&]*)$/.exec(hash);
  if (!m) return undefined;
  const [apiKeyId, seedText, ...rest] = m[1]!.split('.');
  if (!apiKeyId || !API_KEY_ID.test(apiKeyId) || !seedText || rest.length > 0) {
    throw new Error('the sign-in link is malformed: copy it again from `wr dev` (WR_CONSOLE_URL in .wr/dev.env)');
  }
  let seed: Uint8Array;
  try {
    seed = fromBase64Url(seedText);
  } catch {
    throw new Error('the sign-in link is malformed: copy it again from `wr dev` (WR_CONSOLE_URL in .wr/dev.env)');
  }
  if (seed.length !== 32) throw new Error('the sign-in link holds no 32-byte key: copy it again from `wr dev`');
  return { apiKeyId, seed };
}
