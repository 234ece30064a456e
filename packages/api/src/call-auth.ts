/**
 * Signed calls. An API key is an Ed25519 key pair: the caller keeps the private
 * half and signs every call; only the public half is registered. The signature
 * covers the component, the idempotency key, the time and the exact body bytes
 * (and so every parameter, the target node included), so whoever relays a call
 * can drop or delay it, never change it. The workspace checks it, and each
 * node checks it again, against its own copy of the registry, before it acts.
 *
 * On the wire, a call to the workspace carries three headers beside its JSON
 * body; the workspace hands the same signed call on to nodes as a CallerAuth.
 */
import { createHash } from 'node:crypto';
import { Type as T, type Static } from '@sinclair/typebox';
import { Ed25519Signature } from './fields.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { WrError } from '@wr/common';
import { COMPONENTS, LIMITS, type ComponentName, type ComponentParams } from './components.js';

export const AUTH_HEADERS = {
  apiKeyId: 'wr-api-key-id',
  timestamp: 'wr-timestamp',
  signature: 'wr-signature',
  idempotencyKey: 'idempotency-key',
} as const;

/** On a successful answer that is the stored outcome of an earlier call with the same idempotency key (value `true`). */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

/** How far a call's time may be from a server's clock, either way. */
export const FRESHNESS_MS = 5 * 60_000;

export const API_KEY_ID = '^ak_[a-z2-7]{16}$';
export const IDEMPOTENCY_KEY = '^[A-Za-z0-9_.:-]{1,128}$';

/** A signed call as a node receives it: who signed, what, when, and the body exactly as signed. */
export const CallerAuth = T.Object(
  {
    apiKeyId: T.String({ pattern: API_KEY_ID }),
    component: T.String({ pattern: '^[A-Z][A-Z0-9_]{0,63}$' }),
    idempotencyKey: T.String({ maxLength: 128 }),
    timestamp: T.Integer({ minimum: 0 }),
    body: T.String({ maxLength: LIMITS.bodyBytes }),
    signature: Ed25519Signature,
  },
  { additionalProperties: false },
);
export type CallerAuth = Static<typeof CallerAuth>;

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest();

/** SHA-256 in hex, of text (UTF-8) or bytes: what receipts and audit entries name a file or a message by. */
export const sha256Hex = (data: string | Uint8Array): string => sha256(data).toString('hex');

/** The bytes an API key signs for one call. */
export function callMessage(c: Omit<CallerAuth, 'apiKeyId' | 'signature'>): Uint8Array {
  const head = `wr-call-v1\n${c.component}\n${c.idempotencyKey}\n${c.timestamp}\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), sha256(c.body)]);
}

/** A digest that names one signed call, for replay protection. */
export function callDigest(auth: CallerAuth): string {
  return sha256(`wr-call-digest-v1\n${auth.apiKeyId}\n${auth.signature}`).toString('hex');
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** An API key's id follows from its public key: `ak_` and 80 bits of its hash in base 32. */
export function apiKeyIdOf(publicKeyHex: string): string {
  const h = sha256(`wr-api-key-id-v1\n${publicKeyHex}`);
  let bits = 0;
  let acc = 0;
  let out = 'ak_';
  for (const byte of h) {
    acc = ((acc << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < 19) {
      out += BASE32[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === 19) break;
  }
  return out;
}

const compiled = new Map<string, ReturnType<typeof TypeCompiler.Compile>>();

/**
 * A signed body, parsed and checked against its component's schema, as a node
 * must before acting on it: the workspace's own validation counts for nothing
 * there. Keys that could reach a prototype are refused.
 */
export function parseParams<C extends ComponentName>(component: C, body: string): ComponentParams<C> {
  const def = COMPONENTS[component];
  let value: unknown;
  try {
    value = JSON.parse(body, (k, v) => {
      if (k === '__proto__' || k === 'constructor' || k === 'prototype') throw new Error('prototype key');
      return v;
    });
  } catch {
    throw new WrError('INVALID_ARGUMENT', 'body: the signed body is not valid JSON', { param: 'body' });
  }
  let check = compiled.get(component);
  if (!check) compiled.set(component, (check = TypeCompiler.Compile(def.params)));
  if (!check.Check(value)) {
    const first = check.Errors(value).First();
    const param = first?.path.replace(/^\//, '').replace(/\//g, '.') || 'body';
    throw new WrError('INVALID_ARGUMENT', `${param}: ${first?.message ?? 'is invalid'}`, { param });
  }
  return value as ComponentParams<C>;
}

export function isComponent(name: string): name is ComponentName {
  return Object.prototype.hasOwnProperty.call(COMPONENTS, name);
}

/** A signed call as a node receives it, with the signed approvals a policy may ask for. */
export const Approvals = T.Array(CallerAuth, { maxItems: 16 });
export const SignedCallBody = T.Object({ auth: CallerAuth, approvals: T.Optional(Approvals) }, { additionalProperties: false });
export type SignedCallBody = Static<typeof SignedCallBody>;
