export { openDatabase, type Db } from './database.js';
export { migrate, type Migration } from './migrations.js';
export { bearerCheck, createHttpServer, errorBody, toWrError, measured, type HttpServer, type HttpServerOptions, type ServerTls } from './http.js';
export { checkPortFree, closeOnSignals, listen, listenFailure } from './lifecycle.js';
export { DEFAULT_DRAIN_TIMEOUT_MS, drain, type DrainOptions, type DrainResult } from './drain.js';
export { SEALED_SECRETS_SCHEMA, loadSealedSecret, type SealedSecretRows } from './sealed-secrets.js';
export {
  ApiKeyRegistry,
  REGISTRY_SCHEMA,
  approvalRequestIdOf,
  checkFresh,
  type ApprovalPolicy,
  type Caller,
  type RegisteredKey,
  type VerifiedCall,
} from './registry.js';
export { AUDIT_SCHEMA, AuditChain, AuditLog, toEntry, type AuditEntry, type AuditHead, type AuditRow, type AuditVerdict } from './audit-log.js';
export { Sealer } from './seal.js';
export { GroupCommit } from './group-commit.js';
export { loadMasterKey } from './master-key.js';
export { Admission, admissionMetrics, checkAdmissionLimits, type AdmissionLimits } from './admission.js';
export {
  FINGERPRINT_PATTERN,
  certificateFingerprint,
  ensureTlsIdentity,
  isLoopback,
  loadTlsIdentity,
  parseFingerprint,
  peerFingerprint,
  type TlsIdentity,
} from './tls.js';
