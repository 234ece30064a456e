/**
 * The workspace↔node protocol as a contract: one typed operation per node
 * route, with the schemas of its path parameters, body, query and answer. The
 * node registers its routes from these (validating requests, trimming answers)
 * and the workspace's node client makes one typed call per operation, so the
 * two sides cannot drift apart.
 *
 * Nothing a node receives here carries authority of its own: every operation
 * that acts on a share carries the caller's signed call (SignedCallBody), which
 * the node checks itself. Protocol messages (DKG rounds, commitments) are
 * checked by the cryptography that consumes them, so they are typed loosely.
 */
import { Type as T, type Static, type TSchema } from '@sinclair/typebox';
import { Ed25519Signature, Hex, KeyId, NodeId, SessionId } from './fields.js';
import { Approvals, CallerAuth, SignedCallBody } from './call-auth.js';
import { COMPONENTS, ItemError, LIMITS } from './components.js';
import { Receipt } from './receipts.js';
import { SignedRoster } from './roster.js';

/** A page size in a query string (text): 1 to 1000. */
const PageLimit = T.String({ pattern: '^([1-9][0-9]{0,2}|1000)$' });

const strict = { additionalProperties: false } as const;
const KeyIdParams = T.Object({ keyId: KeyId }, strict);
const Messages = T.Array(T.Object({}, { additionalProperties: true }), { maxItems: 64 });

/**
 * A batch call (EXPORT_KEY_SHARES, IMPORT_KEY_SHARES) at one node: the caller's
 * signed call, which covers the whole batch, and the indexes of its items this
 * node is to do. The node answers each of them, in that order.
 */
const SignedBatchBody = T.Object(
  {
    auth: CallerAuth,
    approvals: T.Optional(Approvals),
    items: T.Array(T.Integer({ minimum: 0, maximum: LIMITS.batchItems - 1 }), { minItems: 1, maxItems: LIMITS.batchItems, uniqueItems: true }),
  },
  strict,
);

/** What the workspace learns of a share: everything but the signing share. */
export const ShareInfo = T.Object({
  keyId: T.String(),
  scheme: T.String(),
  publicKey: T.String(),
  identifier: T.String(),
  minSigners: T.Integer(),
  maxSigners: T.Integer(),
  origin: T.Union([T.Literal('generated'), T.Literal('imported')]),
  exportable: T.Boolean(),
  epoch: T.Integer(),
  createdAt: T.String(),
  publicPackage: T.String(),
});
export type ShareInfo = Static<typeof ShareInfo>;

const GroupPublicKey = T.String({ pattern: '^([0-9a-f]{2}){32,33}$' });

/**
 * A holder's signed word that its refresh round 2 ended with this confirmation
 * digest at this epoch (see packages/node/src/routes/lifecycle.ts for the signed
 * bytes). A node commits only once it holds one from every holder, all equal to its own.
 */
export const RefreshConfirmation = T.Object(
  { nodeId: NodeId, identifier: T.String({ maxLength: 128 }), epoch: T.Integer({ minimum: 1 }), confirmation: Hex(64), signature: Ed25519Signature },
  strict,
);
export type RefreshConfirmation = Static<typeof RefreshConfirmation>;
const RefreshConfirmations = T.Array(RefreshConfirmation, { minItems: 2, maxItems: 16 });

/** A holder's latest backup: its share wrapped (age) to the policy's recipients, with the node's export receipt. */
const NodeBackup = T.Object({
  identifier: T.String(),
  epoch: T.Integer(),
  wrappedKeyShare: T.String(),
  recipients: T.Array(T.String()),
  createdAt: T.String(),
  receipt: T.Optional(Receipt),
});
/** A holder's share epoch, its backup policy's recipients, and its latest backup if it made one. */
const NodeBackups = T.Object({ epoch: T.Integer(), recipients: T.Array(T.String()), backup: T.Optional(NodeBackup) });
const ReshareParticipants = T.Array(T.Object({ nodeId: NodeId, identifier: T.String({ maxLength: 128 }) }, strict), { minItems: 2, maxItems: 16 });

/**
 * A dealer's part of a reshare: its commitment (signed as a lifecycle broadcast)
 * and its signed statement of what it deals (see packages/node/src/routes/reshare.ts).
 */
export const ReshareDealing = T.Object(
  {
    nodeId: NodeId,
    commitment: T.Object({}, { additionalProperties: true }),
    signature: Ed25519Signature,
    exportable: T.Boolean(),
    statement: Ed25519Signature,
    // The key's backup policy the dealer keeps (the signer's SET_BACKUP_POLICY call), which new holders take; its statement signs its digest.
    backupPolicy: T.Optional(CallerAuth),
  },
  strict,
);
export type ReshareDealing = Static<typeof ReshareDealing>;

/** A repair helper's signed statement of the package, epoch and participants it helps with (see packages/node/src/routes/repair.ts). */
export const RepairStatement = T.Object(
  {
    nodeId: NodeId,
    epoch: T.Integer({ minimum: 0 }),
    exportable: T.Boolean(),
    signature: Ed25519Signature,
    // The key's backup policy the helper keeps, which the repaired share takes; the signature covers its digest.
    backupPolicy: T.Optional(CallerAuth),
  },
  strict,
);
export type RepairStatement = Static<typeof RepairStatement>;

interface Op {
  method: 'GET' | 'POST';
  path: string;
  params?: TSchema;
  query?: TSchema;
  body?: TSchema;
  response: TSchema;
}

const op = <O extends Op>(o: O) => o;

export const NODE_OPS = {
  info: op({
    method: 'GET',
    path: '/v1/info',
    response: T.Object({ nodeId: T.String(), recipientKey: T.String(), postQuantumRecipientKey: T.String(), signingKey: T.String(), shares: T.Integer() }),
  }),
  listShares: op({
    method: 'GET',
    path: '/v1/shares',
    // Keyset pages in key id order: a share added meanwhile never shifts the ones after the cursor.
    query: T.Object({ after: T.Optional(KeyId), limit: T.Optional(PageLimit) }, strict),
    response: T.Object({ shares: T.Array(ShareInfo) }),
  }),
  getShare: op({ method: 'GET', path: '/v1/shares/:keyId', params: KeyIdParams, response: ShareInfo }),
  deleteShare: op({
    method: 'POST',
    path: '/v1/shares/:keyId/delete',
    params: KeyIdParams,
    body: SignedCallBody,
    response: T.Object({ keyId: T.String(), deleted: T.Boolean() }),
  }),
  exportShare: op({
    method: 'POST',
    path: '/v1/shares/:keyId/export',
    params: KeyIdParams,
    body: SignedCallBody,
    response: T.Object({ wrappedKeyShare: T.String(), receipt: Receipt }),
  }),
  importShare: op({
    method: 'POST',
    path: '/v1/shares/import',
    body: SignedCallBody,
    response: T.Composite([ShareInfo, T.Object({ alreadyPresent: T.Boolean(), receipt: Receipt })]),
  }),
  rewrap: op({
    method: 'POST',
    path: '/v1/shares/rewrap',
    body: SignedCallBody,
    response: T.Object({
      rewrappedKeyShare: T.String(),
      fresh: T.Optional(T.Object({ publicKey: T.String(), encryptedPrivateKey: T.String() })),
      groupPublicKey: T.String(),
      identifier: T.String(),
      source: T.Object({ nodeId: T.String(), keyId: T.String() }),
      recipients: T.Array(T.String()),
    }),
  }),
  exportShares: op({
    method: 'POST',
    path: '/v1/shares/export-batch',
    body: SignedBatchBody,
    response: T.Object({
      results: T.Array(T.Object({ index: T.Integer(), wrappedKeyShare: T.Optional(T.String()), receipt: T.Optional(Receipt), error: T.Optional(ItemError) })),
    }),
  }),
  importShares: op({
    method: 'POST',
    path: '/v1/shares/import-batch',
    body: SignedBatchBody,
    response: T.Object({
      results: T.Array(
        T.Object({
          index: T.Integer(),
          share: T.Optional(T.Composite([ShareInfo, T.Object({ alreadyPresent: T.Boolean(), receipt: Receipt })])),
          error: T.Optional(ItemError),
        }),
      ),
    }),
  }),
  generateIdentity: op({
    method: 'POST',
    path: '/v1/identities/generate',
    body: SignedCallBody,
    response: T.Object({ publicKey: T.String(), encryptedPrivateKey: T.String(), sealedTo: T.String() }),
  }),
  dkgRound1: op({
    method: 'POST',
    path: '/v1/dkg/round1',
    body: T.Object(
      {
        sessionId: SessionId,
        participants: T.Array(
          T.Object({ identifier: T.String({ maxLength: 128 }), recipient: T.String({ maxLength: 4096 }), signingKey: T.String({ maxLength: 128 }) }, strict),
          {
            minItems: 2,
            maxItems: 16,
          },
        ),
        self: T.String({ maxLength: 128 }),
        auth: CallerAuth,
        approvals: T.Optional(Approvals),
      },
      strict,
    ),
    response: T.Object({ message: T.Object({}, { additionalProperties: true }) }),
  }),
  dkgRound2: op({
    method: 'POST',
    path: '/v1/dkg/round2',
    body: T.Object({ sessionId: SessionId, round1: Messages }, strict),
    response: T.Object({ messages: T.Array(T.Object({}, { additionalProperties: true })) }),
  }),
  dkgRound3: op({ method: 'POST', path: '/v1/dkg/round3', body: T.Object({ sessionId: SessionId, round2: Messages }, strict), response: ShareInfo }),
  dkgCommit: op({
    method: 'POST',
    path: '/v1/dkg/commit',
    body: T.Object({ sessionId: SessionId }, strict),
    response: T.Composite([ShareInfo, T.Object({ receipt: Receipt })]),
  }),
  dkgAbort: op({ method: 'POST', path: '/v1/dkg/abort', body: T.Object({ sessionId: SessionId }, strict), response: T.Object({ aborted: T.Boolean() }) }),
  // Proactive refresh (REFRESH_KEY): stage-then-commit like DKG. Every message between nodes is signed by its
  // sender's node key (and sub-shares sealed to their receiver), so the relay can drop or delay them, not forge them.
  findShare: op({
    method: 'GET',
    path: '/v1/keys/:publicKey/share',
    params: T.Object({ publicKey: GroupPublicKey }, strict),
    response: ShareInfo,
  }),
  refreshRound1: op({
    method: 'POST',
    path: '/v1/refresh/round1',
    body: T.Object(
      {
        sessionId: SessionId,
        // Who holds which identifier: each node checks the peers against its roster and the key's public package.
        participants: T.Array(T.Object({ nodeId: NodeId, identifier: T.String({ maxLength: 128 }) }, strict), { minItems: 2, maxItems: 16 }),
        auth: CallerAuth,
        approvals: T.Optional(Approvals),
      },
      strict,
    ),
    response: T.Object({ commitment: T.Object({}, { additionalProperties: true }), signature: Ed25519Signature, sealed: Messages }),
  }),
  refreshRound2: op({
    method: 'POST',
    path: '/v1/refresh/round2',
    body: T.Object(
      {
        sessionId: SessionId,
        commitments: T.Array(T.Object({ message: T.Object({}, { additionalProperties: true }), signature: Ed25519Signature }, strict), { maxItems: 16 }),
        sealed: Messages,
      },
      strict,
    ),
    response: RefreshConfirmation,
  }),
  refreshCommit: op({
    method: 'POST',
    path: '/v1/refresh/commit',
    body: T.Object({ sessionId: SessionId, publicKey: GroupPublicKey, confirmations: RefreshConfirmations }, strict),
    response: T.Composite([ShareInfo, T.Object({ receipt: Receipt })]),
  }),
  refreshAbort: op({
    method: 'POST',
    path: '/v1/refresh/abort',
    body: T.Object({ sessionId: SessionId }, strict),
    response: T.Object({ aborted: T.Boolean() }),
  }),
  // Nodes that hold no share of the key learn of the refresh, so that they too refuse older wrapped copies (SHARE_STALE).
  refreshNotice: op({
    method: 'POST',
    path: '/v1/refresh/notice',
    body: T.Object({ sessionId: SessionId, publicKey: GroupPublicKey, confirmations: RefreshConfirmations }, strict),
    // retired: the keyId of a copy left behind by a migration, which this node deleted (another node holds its identifier now).
    response: T.Object({ recorded: T.Boolean(), retired: T.Optional(T.String()) }),
  }),
  // Backups (SET_BACKUP_POLICY, LIST_BACKUPS): the policy is the caller's signed call, checked and kept by each holder.
  setBackupPolicy: op({
    method: 'POST',
    path: '/v1/keys/:publicKey/backup-policy',
    params: T.Object({ publicKey: GroupPublicKey }, strict),
    body: SignedCallBody,
    response: NodeBackups,
  }),
  listBackups: op({
    method: 'GET',
    path: '/v1/keys/:publicKey/backups',
    params: T.Object({ publicKey: GroupPublicKey }, strict),
    response: NodeBackups,
  }),
  // Resharing (RESHARE_KEY): round 1 at every old and new holder (each checks the caller's signed call; dealers deal),
  // round 2 at the new holders (verify, stage, confirm), commit at the new holders and then retire at the old ones.
  reshareRound1: op({
    method: 'POST',
    path: '/v1/reshare/round1',
    body: T.Object(
      {
        sessionId: SessionId,
        // The key's current public package: a new holder checks it against the signed publicKey and the dealers' signatures.
        publicPackage: T.String({ maxLength: 64 * 1024 }),
        dealers: ReshareParticipants,
        holders: ReshareParticipants,
        auth: CallerAuth,
        approvals: T.Optional(Approvals),
      },
      strict,
    ),
    response: T.Object({ dealing: T.Optional(ReshareDealing), sealed: Messages }),
  }),
  reshareRound2: op({
    method: 'POST',
    path: '/v1/reshare/round2',
    body: T.Object({ sessionId: SessionId, dealings: T.Array(ReshareDealing, { maxItems: 16 }), sealed: Messages }, strict),
    response: RefreshConfirmation,
  }),
  reshareCommit: op({
    method: 'POST',
    path: '/v1/reshare/commit',
    body: T.Object(
      {
        sessionId: SessionId,
        publicKey: GroupPublicKey,
        confirmations: RefreshConfirmations,
        // For a leaving holder: every new holder's receipt that it committed (a 'reshare' receipt); it retires only on them.
        committed: T.Optional(
          T.Array(T.Object({ nodeId: NodeId, keyId: KeyId, identifier: T.String({ maxLength: 128 }), receipt: Receipt }, strict), { maxItems: 16 }),
        ),
      },
      strict,
    ),
    response: T.Object({ retired: T.Boolean(), share: T.Optional(T.Composite([ShareInfo, T.Object({ receipt: Receipt })])) }),
  }),
  // Nodes that took no part learn of the reshare, so that they too refuse older wrapped copies (SHARE_STALE).
  reshareNotice: op({
    method: 'POST',
    path: '/v1/reshare/notice',
    body: T.Object({ sessionId: SessionId, publicKey: GroupPublicKey, confirmations: RefreshConfirmations }, strict),
    response: T.Object({ recorded: T.Boolean() }),
  }),
  reshareAbort: op({
    method: 'POST',
    path: '/v1/reshare/abort',
    body: T.Object({ sessionId: SessionId }, strict),
    response: T.Object({ aborted: T.Boolean() }),
  }),
  // Repairing a lost share (REPAIR_KEY_SHARE): round 1 at every helper and the target (each checks the caller's signed call;
  // helpers split their weighted share into deltas sealed to each other), round 2 at the helpers (sigma sealed to the
  // target), round 3 at the target (sum, check against the verifying share, store).
  repairRound1: op({
    method: 'POST',
    path: '/v1/repair/round1',
    body: T.Object(
      {
        sessionId: SessionId,
        publicPackage: T.String({ maxLength: 64 * 1024 }),
        helpers: ReshareParticipants,
        participant: T.Object({ nodeId: NodeId, identifier: T.String({ maxLength: 128 }) }, strict),
        auth: CallerAuth,
        approvals: T.Optional(Approvals),
      },
      strict,
    ),
    response: T.Object({ statement: T.Optional(RepairStatement), sealed: Messages }),
  }),
  repairRound2: op({
    method: 'POST',
    path: '/v1/repair/round2',
    body: T.Object({ sessionId: SessionId, sealed: Messages }, strict),
    response: T.Object({ sealed: Messages }),
  }),
  repairRound3: op({
    method: 'POST',
    path: '/v1/repair/round3',
    body: T.Object({ sessionId: SessionId, statements: T.Array(RepairStatement, { maxItems: 16 }), sealed: Messages }, strict),
    response: T.Composite([ShareInfo, T.Object({ receipt: Receipt })]),
  }),
  repairAbort: op({
    method: 'POST',
    path: '/v1/repair/abort',
    body: T.Object({ sessionId: SessionId }, strict),
    response: T.Object({ aborted: T.Boolean() }),
  }),
  signRound1: op({
    method: 'POST',
    path: '/v1/sign/round1',
    body: T.Object({ sessionId: SessionId, keyId: KeyId, auth: CallerAuth, approvals: T.Optional(Approvals) }, strict),
    response: T.Object({ commitments: T.Object({}, { additionalProperties: true }) }),
  }),
  signRound2: op({
    method: 'POST',
    path: '/v1/sign/round2',
    body: T.Object({ sessionId: SessionId, keyId: KeyId, commitments: Messages }, strict),
    response: T.Object({ signatureShare: T.String() }),
  }),
  registryChanges: op({
    method: 'POST',
    path: '/v1/registry/changes',
    body: T.Object({ changes: T.Array(CallerAuth, { maxItems: 500 }) }, strict),
    response: T.Object({
      results: T.Array(T.Object({ ok: T.Boolean(), apiKeyId: T.Optional(T.String()), changed: T.Optional(T.Boolean()), code: T.Optional(T.String()) })),
    }),
  }),
  roster: op({
    method: 'POST',
    path: '/v1/roster',
    body: T.Object({ roster: SignedRoster }, strict),
    response: T.Object({ version: T.Integer(), changed: T.Boolean() }),
  }),
  log: op({
    method: 'GET',
    path: '/v1/log',
    // A query string holds text: numbers as digits.
    query: T.Object({ after: T.Optional(T.String({ pattern: '^[0-9]{1,15}$' })), limit: T.Optional(PageLimit) }, strict),
    response: COMPONENTS.LIST_AUDIT_EVENTS.result,
  }),
  logVerify: op({
    method: 'GET',
    path: '/v1/log/verify',
    response: COMPONENTS.VERIFY_AUDIT_LOG.result,
  }),
};

export type NodeOp = keyof typeof NODE_OPS;
type Part<K extends NodeOp, P extends keyof Op> = (typeof NODE_OPS)[K] extends { [X in P]: infer S extends TSchema } ? Static<S> : undefined;
export type NodeOpParams<K extends NodeOp> = Part<K, 'params'>;
export type NodeOpQuery<K extends NodeOp> = Part<K, 'query'>;
export type NodeOpBody<K extends NodeOp> = Part<K, 'body'>;
export type NodeOpResponse<K extends NodeOp> = Static<(typeof NODE_OPS)[K]['response']>;
