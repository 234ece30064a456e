/**
 * The FROST ciphersuites wr offers (RFC 9591 §6), each bound to the @noble/curves
 * implementation and to the STANDARD single-signer verifier its signatures are
 * meant for:
 *
 * | scheme               | RFC 9591 contextString           | group public key (API form)          | signature                  |
 * |----------------------|----------------------------------|--------------------------------------|----------------------------|
 * | `frost-ed25519`      | FROST-ED25519-SHA512-v1 (§6.1)   | 32-byte Ed25519 key                  | 64-byte RFC 8032 Ed25519   |
 * | `frost-secp256k1`    | FROST-secp256k1-SHA256-v1 (§6.5) | 33-byte SEC1 compressed point        | 65 bytes: R (33) ‖ z (32)  |
 * | `frost-secp256k1-tr` | FROST-secp256k1-SHA256-TR-v1     | 32-byte x-only key (BIP340)          | 64-byte BIP340 Schnorr     |
 *
 * The "API form" is what `PublicKeyPackage.groupPublicKey` holds and what
 * `Scheme.verify` (and any standard verifier) takes. The VSS commitments keep the
 * suite's own element encoding (§3.1 SerializeElement), so for the Taproot suite
 * `commitments[0]` is the 33-byte compressed point whose x coordinate is the key.
 *
 * The Taproot suite is not in RFC 9591; it follows frost-secp256k1-tr (ZF frost):
 * keys made by DKG are tweaked with the BIP341 TapTweak of an empty script tree,
 * so the group key is directly a key-path-only Taproot output key.
 */
import { ed25519, ed25519_FROST } from '@noble/curves/ed25519.js';
import { schnorr, schnorr_FROST, secp256k1_FROST } from '@noble/curves/secp256k1.js';

import { SCHEME_NAMES, invalidArgument, type SchemeName } from '@wr/common';

import { ED25519_SODIUM_GROUP } from './ed25519-sodium.js';
import { ED25519_NOBLE_GROUP, SECP256K1_GROUP, parsePoint, type Group } from './group.js';

export { SCHEME_NAMES, type SchemeName };

/** The noble FROST object of a suite (`createFROST` output). */
export type FrostSuite = typeof ed25519_FROST;

/** A scheme as other packages see it (getScheme): names, sizes and the standard verifier, no noble objects. */
export interface Scheme {
  readonly name: SchemeName;
  /** RFC 9591 contextString, e.g. `FROST-ED25519-SHA512-v1`. */
  readonly ciphersuite: string;
  /** Bytes of a serialized scalar: identifiers, signing shares, signature shares. */
  readonly scalarLength: number;
  /** Bytes of a serialized group element: commitments, verifying shares, nonce commitments. */
  readonly elementLength: number;
  /** Bytes of the group public key in API form (see the table above). */
  readonly publicKeyLength: number;
  /** Bytes of a final signature. */
  readonly signatureLength: number;
  /**
   * The scheme's STANDARD verifier: RFC 8032 Ed25519 (strict decoding), RFC 9591
   * secp256k1 verification, or BIP340. `groupPublicKey` may be in API form or the
   * commitment form. False on any malformed input; never throws.
   */
  verify(signature: Uint8Array, message: Uint8Array, groupPublicKey: Uint8Array): boolean;
  /** The group public key as the standard verifier takes it (API form). INVALID_ARGUMENT if not a valid key. */
  publicKeyForVerifier(groupPublicKey: Uint8Array): Uint8Array;
}

/**
 * A scheme with the code that implements it, for this package's modules only
 * (getSchemeSuite; not exported from the package): noble objects stay inside @wr/crypto.
 */
export interface SchemeSuite extends Scheme {
  /** The @noble/curves FROST implementation of the suite. */
  readonly frost: FrostSuite;
  /** The suite's group: strict element and scalar decoding, base multiplication (group.ts). */
  readonly group: Group;
}

/**
 * Whether frost-ed25519 runs on libsodium (ed25519-sodium.ts: its group, signing and DKG)
 * rather than on noble's points and ed25519_FROST. Always true in production; the
 * differential tests turn it off to run noble, the reference, through the same public functions.
 */
let ed25519OnSodium = true;

/** Test access: run frost-ed25519 on noble (false) or libsodium (true). Not exported from the package. */
export function useSodiumForEd25519(on: boolean): void {
  ed25519OnSodium = on;
}

/** Whether this suite runs on libsodium now (see useSodiumForEd25519). */
export const onSodium = (scheme: SchemeSuite): boolean => ed25519OnSodium && scheme.name === 'frost-ed25519';

interface SchemeSpec {
  name: SchemeName;
  ciphersuite: string;
  frost: FrostSuite;
  group: Group;
  publicKeyLength: number;
  signatureLength: number;
  /** BIP340: the API form of the group key is its 32-byte x coordinate, not the element encoding. */
  xOnlyKey: boolean;
  verifyStandard: (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array) => boolean;
}

function keyForm({ name, xOnlyKey }: SchemeSpec, groupPublicKey: Uint8Array): Uint8Array {
  if (!(groupPublicKey instanceof Uint8Array)) throw invalidArgument('groupPublicKey', 'must be bytes');
  if (xOnlyKey && groupPublicKey.length === 32) {
    // BIP340 lift_x: an x-only key is valid iff x is on the curve.
    try {
      schnorr.utils.lift_x(BigInt('0x' + Buffer.from(groupPublicKey).toString('hex')));
    } catch {
      throw invalidArgument('groupPublicKey', 'is not a valid x-only secp256k1 key');
    }
    return Uint8Array.from(groupPublicKey);
  }
  const p = parsePoint(SUITES[name].group, groupPublicKey);
  if (!p) throw invalidArgument('groupPublicKey', `is not a valid ${name} group element`);
  return xOnlyKey ? groupPublicKey.slice(1) : Uint8Array.from(groupPublicKey);
}

function define(spec: SchemeSpec): SchemeSuite {
  const { name, ciphersuite, frost, group, publicKeyLength, signatureLength, verifyStandard } = spec;
  // One code path per suite; frost-ed25519's group is libsodium's unless a test asks for noble's.
  const scheme: SchemeSuite = {
    name,
    ciphersuite,
    frost,
    get group() {
      return name === 'frost-ed25519' && ed25519OnSodium ? ED25519_SODIUM_GROUP : group;
    },
    scalarLength: 32,
    elementLength: group.elementLength,
    publicKeyLength,
    signatureLength,
    verify(signature, message, groupPublicKey) {
      try {
        if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array)) return false;
        if (signature.length !== signatureLength) return false;
        return verifyStandard(signature, message, keyForm(spec, groupPublicKey));
      } catch {
        return false;
      }
    },
    publicKeyForVerifier: (groupPublicKey) => keyForm(spec, groupPublicKey),
  };
  return Object.freeze(scheme);
}

const SUITES: Readonly<Record<SchemeName, SchemeSuite>> = Object.freeze({
  // RFC 9591 §6.1: FROST(Ed25519, SHA-512) signatures are RFC 8032 Ed25519 signatures.
  'frost-ed25519': define({
    name: 'frost-ed25519',
    ciphersuite: 'FROST-ED25519-SHA512-v1',
    frost: ed25519_FROST,
    group: ED25519_NOBLE_GROUP,
    publicKeyLength: 32,
    signatureLength: 64,
    xOnlyKey: false,
    verifyStandard: (sig, msg, pk) => ed25519.verify(sig, msg, pk, { zip215: false }),
  }),
  // RFC 9591 §6.5: FROST(secp256k1, SHA-256); its signatures are SerializeElement(R) ‖ SerializeScalar(z).
  'frost-secp256k1': define({
    name: 'frost-secp256k1',
    ciphersuite: 'FROST-secp256k1-SHA256-v1',
    frost: secp256k1_FROST,
    group: SECP256K1_GROUP,
    publicKeyLength: 33,
    signatureLength: 65,
    xOnlyKey: false,
    verifyStandard: (sig, msg, pk) => secp256k1_FROST.verify(sig, msg, pk),
  }),
  // BIP340 Schnorr signatures under the x-only group key.
  'frost-secp256k1-tr': define({
    name: 'frost-secp256k1-tr',
    ciphersuite: 'FROST-secp256k1-SHA256-TR-v1',
    frost: schnorr_FROST,
    group: SECP256K1_GROUP,
    publicKeyLength: 32,
    signatureLength: 64,
    xOnlyKey: true,
    verifyStandard: (sig, msg, pk) => schnorr.verify(sig, msg, pk),
  }),
});

/** The public view of a suite: a separate object, so a cast cannot reach the noble objects either. */
function publicView(s: SchemeSuite): Scheme {
  const { name, ciphersuite, scalarLength, elementLength, publicKeyLength, signatureLength, verify, publicKeyForVerifier } = s;
  return Object.freeze({ name, ciphersuite, scalarLength, elementLength, publicKeyLength, signatureLength, verify, publicKeyForVerifier });
}

const SCHEMES = Object.freeze(Object.fromEntries(SCHEME_NAMES.map((n) => [n, publicView(SUITES[n])]))) as Readonly<Record<SchemeName, Scheme>>;

export function isSchemeName(value: unknown): value is SchemeName {
  return typeof value === 'string' && (SCHEME_NAMES as readonly string[]).includes(value);
}

function checkName(name: string): SchemeName {
  if (!isSchemeName(name)) throw invalidArgument('scheme', `unknown scheme; expected one of ${SCHEME_NAMES.join(', ')}`);
  return name;
}

/** The scheme called `name`; INVALID_ARGUMENT (param `scheme`) if there is none. */
export function getScheme(name: string): Scheme {
  return SCHEMES[checkName(name)];
}

/** getScheme with the suite's noble implementation and group, for this package's modules. */
export function getSchemeSuite(name: string): SchemeSuite {
  return SUITES[checkName(name)];
}
