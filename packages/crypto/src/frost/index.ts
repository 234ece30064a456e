export { SCHEME_NAMES, getScheme, isSchemeName, type Scheme, type SchemeName } from './schemes.js';
export { MAX_SIGNERS, identifierFor, type PublicKeyPackage, type SecretKeyPackage } from './key-package.js';
export { checkKeyPackage, validateKeyPackage, validatePublicKeyPackage } from './key-checks.js';
export { PUBLIC_KEY_PACKAGE_TYPE, PUBLIC_KEY_PACKAGE_VERSION, decodePublicKeyPackage, encodePublicKeyPackage } from './public-key-package-codec.js';
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
export { recoverGroupSecret, signWithGroupSecret } from './recovery.js';
export { SecretProtocolState, type LifecycleProtocol, type LifecycleResult, type ProtocolStage } from './lifecycle-common.js';
export { SecretRefreshState, refreshRound1, refreshRound2, type RefreshCommitment, type RefreshOptions, type RefreshSubShare } from './refresh.js';
export { reshareDeal, reshareFinish, type ReshareCommitment, type ReshareSession, type ReshareSubShare } from './reshare.js';
export { SecretRepairState, repairStep1, repairStep2, repairStep3, type RepairDelta, type RepairSession, type RepairSigma } from './repair.js';
export {
  openLifecycleMessage,
  sealLifecycleMessage,
  signLifecycleBroadcast,
  verifyLifecycleBroadcast,
  type LifecycleBroadcastKind,
  type LifecycleBroadcasts,
  type LifecycleSecretKind,
  type LifecycleSecretMessages,
  type SealedLifecycleMessage,
} from './lifecycle-messages.js';
