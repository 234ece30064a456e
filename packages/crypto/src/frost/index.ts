export { SCHEME_NAMES, getScheme, isSchemeName, type Scheme, type SchemeName, type FrostSuite } from './schemes.js';
export {
  MAX_SIGNERS,
  PUBLIC_KEY_PACKAGE_TYPE,
  PUBLIC_KEY_PACKAGE_VERSION,
  checkKeyPackage,
  decodePublicKeyPackage,
  encodePublicKeyPackage,
  identifierFor,
  publicKeyPackageFromFrost,
  secretKeyPackageFromFrost,
  validateKeyPackage,
  validatePublicKeyPackage,
  type PublicKeyPackage,
  type SecretKeyPackage,
} from './key-package.js';
export {
  SecretDkgState,
  dkgRound1,
  dkgRound2,
  dkgRound3,
  type DkgParticipant,
  type DkgResult,
  type DkgRound1Message,
  type DkgRound2Message,
  type DkgStage,
} from './dkg.js';
export { SecretNonces, aggregateSignature, signRound1, signRound2, type SigningCommitments } from './signing.js';
export { recoverGroupSecret } from './recovery.js';
