/**
 * The wrapped-key-share envelope: what EXPORT_KEY_SHARE puts inside the age file.
 * Canonical JSON (@wr/common's canonicalJson), UTF-8, so an escrow agent who opens
 * the age file with stock `age -d` reads it as is:
 *
 *   {"ciphersuite":"frost-ed25519","commitments":[hex…],"epoch":0,
 *    "exportedAt":"2025-01-01T00:00:00Z","exporterKey":hex,"groupPublicKey":hex,
 *    "identifier":hex,"maxSigners":3,"minSigners":2,"signature":hex,
 *    "signingShare":hex,"source":{"keyId":…,"nodeId":…},"type":"wr.key-share",
 *    "verifyingShares":{id:hex…},"version":1}
 *
 * `signature` is the exporting node's Ed25519 signature over
 *   UTF-8("wr.key-share.v1.signature") ‖ 0x00 ‖ canonical JSON of every other field,
 * made with the key whose public half is `exporterKey`.
 *
 * Opening checks everything before returning anything, in this order (stable
 * check names, used by errors and by checkEnvelope's report):
 *
 *   utf8, json, version, canonical, fields   — strict parsing (internal/document.ts);
 *                                               version ≠ 1 is UNSUPPORTED_VERSION
 *   ciphersuite                              — a known scheme
 *   metadata                                 — source ids, epoch, exportedAt (RFC 3339),
 *                                               exporterKey, signature encodings
 *   signature                                — the exporter's signature (before the costly
 *                                               element checks: a tampered file stops here)
 *   exporter-trusted                         — exporterKey is in trustedExporterKeys (when given)
 *   threshold, encoding                      — key package encodings (frost/key-checks.ts)
 *   commitments, verifying-shares, vss,
 *   identifier, signing-share                — the key algebra (frost/key-checks.ts)
 *
 * Every failure is SHARE_INVALID (ShareInvalidError naming the check) or
 * UNSUPPORTED_VERSION; no message quotes envelope content.
 */
import { invalidArgument, Secret, seedOf, signRaw, toHex, utf8, verifyRaw, WrError, hexBytes, isHex, canonicalJson } from '@wr/common';

import type { CheckResult } from '../errors.js';
import { checkKeyAlgebra, parseKeyParts } from '../frost/key-checks.js';
import { copyPublicKeyPackage, type PublicKeyPackage, type SecretKeyPackage } from '../frost/key-package.js';
import { publicKeyPackageOf } from '../frost/public-key-package-codec.js';
import { SCHEME_NAMES, isSchemeName, type SchemeName } from '../frost/schemes.js';
import { shareMatchesValidatedPackage, validateKeyPackageCached } from '../frost/validation-cache.js';
import { CheckRun } from '../internal/check-run.js';
import { parseDocument, type JsonObject } from '../internal/document.js';
import { signingPublicKey } from '../node-keys.js';

export const ENVELOPE_TYPE = 'wr.key-share';
export const ENVELOPE_VERSION = 1;
export const ENVELOPE_SIGNATURE_DOMAIN = 'wr.key-share.v1.signature';

export interface EnvelopeSource {
  nodeId: string;
  keyId: string;
}

export interface SealEnvelopeInput {
  public: PublicKeyPackage;
  secret: SecretKeyPackage;
  source: EnvelopeSource;
  /** Share epoch (bumped by a refresh); a non-negative integer. */
  epoch: number;
  /** RFC 3339 time of export, e.g. `2025-01-01T00:00:00Z`; given by the caller (no clock in here). */
  exportedAt: string;
}

export interface OpenedEnvelope {
  version: 1;
  public: PublicKeyPackage;
  secret: SecretKeyPackage;
  source: EnvelopeSource;
  epoch: number;
  exportedAt: string;
  /** Ed25519 public key (hex) of the node that exported and signed the share. */
  exporterKey: string;
}

/** The public parts of an envelope: everything but the signing share. */
export interface EnvelopeDescription {
  version: 1;
  type: typeof ENVELOPE_TYPE;
  ciphersuite: SchemeName;
  groupPublicKey: string;
  minSigners: number;
  maxSigners: number;
  identifier: string;
  commitments: string[];
  verifyingShares: Record<string, string>;
  source: EnvelopeSource;
  epoch: number;
  exportedAt: string;
  exporterKey: string;
}

export interface OpenEnvelopeOptions {
  /** When given, the exporter's key must be one of these (hex Ed25519 public keys). */
  trustedExporterKeys?: readonly string[];
}

const FIELDS = {
  version: 'integer',
  type: 'string',
  ciphersuite: 'string',
  groupPublicKey: 'string',
  minSigners: 'integer',
  maxSigners: 'integer',
  identifier: 'string',
  signingShare: 'string',
  commitments: 'string[]',
  verifyingShares: 'string-map',
  source: { nodeId: 'string', keyId: 'string' },
  epoch: 'integer',
  exportedAt: 'string',
  exporterKey: 'string',
  signature: 'string',
} as const;

const ID_RE = /^[\x20-\x7e]{1,256}$/;
const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

/** RFC 3339 §5.6 date-time with upper-case T and Z, calendar-valid. */
function isRfc3339(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = RFC3339_RE.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > days || h > 23 || mi > 59 || sec > 60) return false;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  return true;
}

/** The first problem with the envelope's metadata, as [field, message], or undefined. */
function metadataError(source: unknown, epoch: unknown, exportedAt: unknown): [string, string] | undefined {
  if (typeof source !== 'object' || source === null) return ['source', 'must be an object'];
  const { nodeId, keyId } = source as Record<string, unknown>;
  if (typeof nodeId !== 'string' || !ID_RE.test(nodeId)) return ['source.nodeId', 'must be 1 to 256 printable ASCII characters'];
  if (typeof keyId !== 'string' || !ID_RE.test(keyId)) return ['source.keyId', 'must be 1 to 256 printable ASCII characters'];
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) return ['epoch', 'must be a non-negative integer'];
  if (!isRfc3339(exportedAt)) return ['exportedAt', 'must be an RFC 3339 date-time (e.g. 2025-01-01T00:00:00Z)'];
  return undefined;
}

function signedBytes(unsigned: JsonObject): Uint8Array {
  const domain = utf8(ENVELOPE_SIGNATURE_DOMAIN);
  const body = utf8(canonicalJson(unsigned));
  const out = new Uint8Array(domain.length + 1 + body.length);
  out.set(domain, 0);
  out.set(body, domain.length + 1);
  return out;
}

/**
 * Seals one share into the canonical, signed envelope. The returned bytes hold
 * the signing share in clear: they are a Secret, to be wrapped (wrapShare) and
 * destroyed. INVALID_ARGUMENT for bad metadata, SHARE_INVALID if the key package
 * fails its checks.
 */
export function sealEnvelope(input: SealEnvelopeInput, exporterSecretKey: Secret<Uint8Array>): Secret<Uint8Array> {
  if (typeof input !== 'object' || input === null) throw invalidArgument('input', 'must be an object');
  const meta = metadataError(input.source, input.epoch, input.exportedAt);
  if (meta) throw invalidArgument(meta[0], meta[1]);
  seedOf(exporterSecretKey, 'exporterSecretKey');
  const pub = copyPublicKeyPackage(input.public);
  validateKeyPackageCached(pub, input.secret);
  const unsigned: JsonObject = {
    version: ENVELOPE_VERSION,
    type: ENVELOPE_TYPE,
    ciphersuite: pub.scheme,
    groupPublicKey: pub.groupPublicKey,
    minSigners: pub.minSigners,
    maxSigners: pub.maxSigners,
    identifier: input.secret.identifier,
    signingShare: toHex(input.secret.signingShare.expose()),
    commitments: pub.commitments,
    verifyingShares: pub.verifyingShares,
    source: { nodeId: input.source.nodeId, keyId: input.source.keyId },
    epoch: input.epoch,
    exportedAt: input.exportedAt,
    exporterKey: signingPublicKey(exporterSecretKey),
  };
  const toSign = signedBytes(unsigned);
  const signature = toHex(signRaw(exporterSecretKey, toSign, 'exporterSecretKey'));
  toSign.fill(0);
  return new Secret(utf8(canonicalJson({ ...unsigned, signature })));
}

interface Parsed {
  doc: JsonObject;
  pub: PublicKeyPackage;
  secret: SecretKeyPackage;
}

/** The shared pipeline of openEnvelope (stop at first failure) and checkEnvelope (report all). */
function runChecks(run: CheckRun, bytes: Uint8Array, opts: OpenEnvelopeOptions | undefined, fast: boolean): Parsed | undefined {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument('bytes', 'must be a Uint8Array');
  const trusted = opts?.trustedExporterKeys;
  if (trusted !== undefined && (!Array.isArray(trusted) || !trusted.every((k) => typeof k === 'string')))
    throw invalidArgument('trustedExporterKeys', 'must be an array of hex Ed25519 public keys');
  let text = '';
  if (
    !run.run('utf8', () => {
      try {
        // ignoreBOM: a byte-order mark stays in the text, so it fails the canonical check.
        text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
        return undefined;
      } catch {
        return 'not valid UTF-8';
      }
    })
  )
    return undefined;
  const doc = parseDocument(run, text, { type: ENVELOPE_TYPE, version: ENVELOPE_VERSION, fields: FIELDS });
  if (!doc) return undefined;
  const source = doc['source'] as Record<string, string>;
  const pub = publicKeyPackageOf(doc, doc['ciphersuite']);
  const shareHex = doc['signingShare'] as string;
  const shareBytes = hexBytes(shareHex, 32) ?? new Uint8Array(0);
  const secret: SecretKeyPackage = { identifier: doc['identifier'] as string, signingShare: new Secret(shareBytes) };
  let ok = false;
  try {
    if (!run.run('ciphersuite', () => (isSchemeName(pub.scheme) ? undefined : `unknown ciphersuite; expected one of ${SCHEME_NAMES.join(', ')}`)))
      return undefined;
    if (
      !run.run('metadata', () => {
        const m = metadataError(source, doc['epoch'], doc['exportedAt']);
        if (m) return `${m[0]} ${m[1]}`;
        if (!isHex(doc['exporterKey'], 32)) return 'exporterKey must be 64 lowercase hex digits';
        if (!isHex(doc['signature'], 64)) return 'signature must be 128 lowercase hex digits';
        return undefined;
      })
    )
      return undefined;
    const signed = run.run('signature', () => {
      const { signature, ...unsigned } = doc;
      const toVerify = signedBytes(unsigned);
      try {
        const pk = Uint8Array.from(Buffer.from(doc['exporterKey'] as string, 'hex'));
        return verifyRaw(pk, toVerify, Uint8Array.from(Buffer.from(signature as string, 'hex'))) ? undefined : "the exporter's signature does not verify";
      } finally {
        toVerify.fill(0);
      }
    });
    if (signed && trusted !== undefined)
      run.run('exporter-trusted', () =>
        trusted.includes(doc['exporterKey'] as string) ? undefined : 'the exporter key is not one of the trusted exporter keys',
      );
    // Opening (not reporting): a package this process validated before needs only the share checked.
    if (fast && !run.failed && shareMatchesValidatedPackage(pub, secret)) {
      ok = true;
      return { doc, pub, secret };
    }
    const key = parseKeyParts(run, pub, secret, { schemeChecked: true });
    if (!key) return undefined;
    checkKeyAlgebra(run, key);
    ok = !run.failed;
    return ok ? { doc, pub, secret } : undefined;
  } finally {
    if (!ok) secret.signingShare.destroy();
  }
}

/**
 * Opens (parses and checks) the plaintext of a wrapped share. Returns only if
 * every check passes; otherwise throws SHARE_INVALID (ShareInvalidError naming
 * the failed check) or UNSUPPORTED_VERSION. Does not zero `bytes`.
 */
export function openEnvelope(bytes: Uint8Array, opts?: OpenEnvelopeOptions): OpenedEnvelope {
  const run = new CheckRun(true);
  const parsed = runChecks(run, bytes, opts, true);
  run.throwIfFailed('wrapped key share');
  if (!parsed) throw new WrError('INTERNAL', 'envelope checks ended without a result');
  const { doc, pub, secret } = parsed;
  const source = doc['source'] as Record<string, string>;
  return {
    version: ENVELOPE_VERSION,
    public: pub,
    secret,
    source: { nodeId: source['nodeId']!, keyId: source['keyId']! },
    epoch: doc['epoch'] as number,
    exportedAt: doc['exportedAt'] as string,
    exporterKey: doc['exporterKey'] as string,
  };
}

/** Every check, as a report (for the offline inspect tool). Never throws on bad content; holds no secret. */
export function checkEnvelope(bytes: Uint8Array, opts?: OpenEnvelopeOptions): CheckResult[] {
  const run = new CheckRun(false);
  const parsed = runChecks(run, bytes, opts, false);
  parsed?.secret.signingShare.destroy();
  return run.report();
}

/** The public parts of an opened envelope (no signing share). */
export function describeEnvelope(opened: OpenedEnvelope): EnvelopeDescription {
  return {
    version: opened.version,
    type: ENVELOPE_TYPE,
    ciphersuite: opened.public.scheme,
    groupPublicKey: opened.public.groupPublicKey,
    minSigners: opened.public.minSigners,
    maxSigners: opened.public.maxSigners,
    identifier: opened.secret.identifier,
    commitments: [...opened.public.commitments],
    verifyingShares: { ...opened.public.verifyingShares },
    source: { ...opened.source },
    epoch: opened.epoch,
    exportedAt: opened.exportedAt,
    exporterKey: opened.exporterKey,
  };
}
