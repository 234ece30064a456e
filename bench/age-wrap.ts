// @wr/age wrap/unwrap of a 1 KiB share to one X25519 recipient, against bare
// age-encryption and against the floor: the node:crypto primitives a
// wrap + unwrap cannot avoid. Target: ours within 2x of the floor.
//
//   npx tsc -b bench && node bench/dist/age-wrap.js
//
// Cases run in interleaved rounds so that machine noise hits them alike.
import { createCipheriv, createDecipheriv, createHmac, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';

import { Decrypter, Encrypter, Stanza, generateX25519Identity, identityToRecipient } from 'age-encryption';

import { generateIdentity, parseIdentity, unwrap, wrap } from '@wr/age';

import { median, percentile, timeIt } from './timing.js';

const PAYLOAD = new Uint8Array(randomBytes(1024));
const ROUNDS = 5;
/** Per case and round; keeps the whole run near 20 s even on a loaded machine. */
const BUDGET_MS = 250;
const gc = (globalThis as { gc?: () => void }).gc;

// ---- ours -------------------------------------------------------------------
const me = await generateIdentity();
const myIdentity = parseIdentity(me.identity);
const myIdentityString = me.identity.expose();
const sample = await wrap(PAYLOAD, [me.recipient]);
if (Buffer.compare(await unwrap(sample, { identities: [myIdentity] }), PAYLOAD) !== 0) throw new Error('round trip failed');

// ---- bare age-encryption ----------------------------------------------------
const theirIdentity = await generateX25519Identity();
const stockEncrypter = new Encrypter();
stockEncrypter.addRecipient(await identityToRecipient(theirIdentity));
const stockDecrypter = new Decrypter();
stockDecrypter.addIdentity(theirIdentity);

// age-encryption's container (header, HMAC, STREAM, web streams) around a
// no-op recipient: what our fast X25519 cannot remove.
let capturedKey = new Uint8Array(16);
const nullEncrypter = new Encrypter();
nullEncrypter.addRecipient({
  wrapFileKey(fileKey: Uint8Array) {
    capturedKey = Uint8Array.from(fileKey);
    return [new Stanza(['X25519', 'A'.repeat(43)], new Uint8Array(32))];
  },
});
const nullDecrypter = new Decrypter();
nullDecrypter.addIdentity({ unwrapFileKey: () => capturedKey });

// ---- the primitive floor ----------------------------------------------------
// One wrap + unwrap's worth of node:crypto work, no encoding or framing:
//   wrap:   X25519 keygen, X25519 DH, HKDF (wrap key), ChaCha20-Poly1305 (16 B file key),
//           HKDF + HMAC (header MAC), HKDF (payload key), ChaCha20-Poly1305 (1 KiB)
//   unwrap: X25519 DH, HKDF, ChaCha20-Poly1305 open (16 B), HKDF + HMAC, HKDF, open (1 KiB)
const ZERO_NONCE = new Uint8Array(12);
const HEADER = new Uint8Array(150);
const recipientPair = generateKeyPairSync('x25519');
const recipientRaw = new Uint8Array(32);

function seal(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 });
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}
function open(key: Uint8Array, sealed: Uint8Array): Uint8Array {
  const d = createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 });
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
}
const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string): Uint8Array => new Uint8Array(hkdfSync('sha256', ikm, salt, info, 32));
const hmac = (key: Uint8Array, data: Uint8Array): Buffer => createHmac('sha256', key).update(data).digest();

function floorWrapUnwrap(): void {
  const fileKey = randomBytes(16);
  const eph = generateKeyPairSync('x25519');
  const wrapKey = hkdf(diffieHellman({ privateKey: eph.privateKey, publicKey: recipientPair.publicKey }), recipientRaw, 'age-encryption.org/v1/X25519');
  const body = seal(wrapKey, fileKey);
  const mac = hmac(hkdf(fileKey, new Uint8Array(0), 'header'), HEADER);
  const nonce = randomBytes(16);
  const ciphertext = seal(hkdf(fileKey, nonce, 'payload'), PAYLOAD);

  const wrapKey2 = hkdf(diffieHellman({ privateKey: recipientPair.privateKey, publicKey: eph.publicKey }), recipientRaw, 'age-encryption.org/v1/X25519');
  const fileKey2 = open(wrapKey2, body);
  if (!hmac(hkdf(fileKey2, new Uint8Array(0), 'header'), HEADER).equals(mac)) throw new Error('floor: MAC');
  open(hkdf(fileKey2, nonce, 'payload'), ciphertext);
}

const K32 = new Uint8Array(randomBytes(32));
const components: [string, () => unknown][] = [
  ['  X25519 keygen (generateKeyPairSync)', () => generateKeyPairSync('x25519')],
  ['  X25519 DH (diffieHellman)', () => diffieHellman({ privateKey: recipientPair.privateKey, publicKey: recipientPair.publicKey })],
  ['  HKDF-SHA256 (hkdfSync)', () => hkdf(K32, K32, 'age-encryption.org/v1/X25519')],
  ['  HMAC-SHA256, 150 B header', () => hmac(K32, HEADER)],
  ['  ChaCha20-Poly1305 seal, 1 KiB', () => seal(K32, PAYLOAD)],
  ['  ChaCha20-Poly1305 seal, 16 B', () => seal(K32, K32.subarray(0, 16))],
];

// ---- run --------------------------------------------------------------------
const cases: { label: string; fn: () => unknown; iterations: number }[] = [
  { label: 'ours: wrap (armored out)', fn: () => wrap(PAYLOAD, [me.recipient]), iterations: 300 },
  { label: 'ours: unwrap (armored in, parsed identity)', fn: () => unwrap(sample, { identities: [myIdentity] }), iterations: 300 },
  { label: 'ours: wrap + unwrap', fn: async () => unwrap(await wrap(PAYLOAD, [me.recipient]), { identities: [myIdentity] }), iterations: 300 },
  { label: 'ours: unwrap, identity string parsed every call', fn: () => unwrap(sample, { identities: [myIdentityString] }), iterations: 150 },
  { label: 'age-encryption: encrypt + decrypt (bare, binary)', fn: async () => stockDecrypter.decrypt(await stockEncrypter.encrypt(PAYLOAD)), iterations: 60 },
  { label: 'age-encryption container alone (no-op recipient)', fn: async () => nullDecrypter.decrypt(await nullEncrypter.encrypt(PAYLOAD)), iterations: 300 },
  { label: 'floor: node:crypto primitives for a wrap + unwrap', fn: floorWrapUnwrap, iterations: 600 },
  ...components.map(([label, fn]) => ({ label, fn, iterations: 600 })),
];

const samples = new Map<string, number[]>(cases.map((c) => [c.label, []]));
const started = performance.now();
for (let round = 0; round < ROUNDS; round++) {
  for (const c of cases) {
    gc?.();
    const t = await timeIt(c.label, c.fn, { iterations: c.iterations, warmup: round === 0 ? Math.ceil(c.iterations / 5) : 5, budgetMs: BUDGET_MS });
    samples.get(c.label)!.push(...t.samples);
  }
}
const med = (label: string): number => median(samples.get(label)!);
const p10 = (label: string): number => percentile(samples.get(label)!, 10);

console.log(
  `age-wrap: 1 KiB payload, one X25519 recipient; ${ROUNDS} interleaved rounds (Node ` +
    `${process.version}, load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs)`,
);
console.log(`${''.padEnd(58)} ${'median'.padStart(9)}    ${'p10'.padStart(9)}     n`);
for (const c of cases) {
  if (c.label.startsWith('floor')) console.log('');
  const n = samples.get(c.label)!.length;
  console.log(`${c.label.padEnd(58)} ${med(c.label).toFixed(1).padStart(9)} µs ${p10(c.label).toFixed(1).padStart(9)} µs ${String(n).padStart(5)}`);
}
const ours = med('ours: wrap + unwrap');
const floor = med('floor: node:crypto primitives for a wrap + unwrap');
const container = med('age-encryption container alone (no-op recipient)');
console.log('');
console.log(
  `ratio ours / primitive floor: ${(ours / floor).toFixed(2)}x median, ` +
    `${(p10('ours: wrap + unwrap') / p10('floor: node:crypto primitives for a wrap + unwrap')).toFixed(2)}x p10 (target <= 2x)`,
);
console.log(
  `  of ours, age-encryption's container (header, HMAC, STREAM, web streams): ~${container.toFixed(0)} µs (${((100 * container) / ours).toFixed(0)}%)`,
);
console.log(`ratio bare age-encryption / ours: ${(med('age-encryption: encrypt + decrypt (bare, binary)') / ours).toFixed(1)}x`);
console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
