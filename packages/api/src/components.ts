/**
 * Every workspace component: its request schema, its response schema and the
 * scope a caller needs. The workspace validates requests and limits responses
 * with these schemas; the SDK takes its types from them. Unknown fields are
 * rejected everywhere (`additionalProperties: false`).
 */
import { Type as T, type Static, type TSchema } from '@sinclair/typebox';
import { SCHEME_NAMES, WrError, codeOf, type SchemeName } from '@wr/common';
import { Ed25519PublicKey, Hex, KeyId, NodeId } from './fields.js';
import { Receipt } from './receipts.js';
import { SignedRoster } from './roster.js';
import { WorkflowDefinition } from './workflow-definition.js';

const strict = { additionalProperties: false } as const;

export const SCHEMES = SCHEME_NAMES;
export type { SchemeName };

/** Limits that keep one request small; a larger body is PAYLOAD_TOO_LARGE. */
export const LIMITS = {
  bodyBytes: 1024 * 1024,
  wrappedShareChars: 256 * 1024,
  messageHexChars: 128 * 1024,
  maxParticipants: 16,
  maxRecipients: 16,
  pageDefault: 100,
  pageMax: 1000,
  /** Items in one EXPORT_KEY_SHARES or IMPORT_KEY_SHARES call. */
  batchItems: 100,
} as const;

const Scheme = T.Union(SCHEMES.map((s) => T.Literal(s)));
/** A list that grows answers a page at a time: `limit` items at most, and `nextCursor` to pass back as `cursor` while there are more. */
const PageLimit = T.Optional(T.Integer({ minimum: 1, maximum: LIMITS.pageMax, default: LIMITS.pageDefault }));
const NextCursor = T.Optional(T.String({ description: 'there are more: pass this back as cursor' }));
const AgeRecipient = T.String({ minLength: 1, maxLength: 2048, description: 'an age recipient, age1... or age1pq1...' });
const WrappedShare = T.String({ minLength: 1, maxLength: LIMITS.wrappedShareChars, description: 'an ASCII-armored age file' });
const Timestamp = T.String({ description: 'RFC 3339 time' });

export const ShareRef = T.Object({ nodeId: T.String(), keyId: T.String(), identifier: T.String(), receipt: T.Optional(Receipt) }, strict);

export const KeyInfo = T.Object(
  {
    keyId: T.String(),
    nodeId: T.String(),
    publicKey: T.String({ description: 'the group public key, hex' }),
    scheme: T.String(),
    identifier: T.String({ description: "this share's FROST participant identifier, hex" }),
    threshold: T.Integer(),
    maxSigners: T.Integer(),
    origin: T.Union([T.Literal('generated'), T.Literal('imported')]),
    exportable: T.Boolean(),
    epoch: T.Integer({ description: 'the share epoch: 0 when made, one more after each REFRESH_KEY or RESHARE_KEY' }),
    createdAt: Timestamp,
  },
  strict,
);

/** One holder's latest backup of its share: an age file to the escrow recipients of the key's backup policy. */
export const BackupInfo = T.Object(
  {
    nodeId: T.String(),
    identifier: T.String(),
    epoch: T.Integer(),
    wrappedKeyShare: T.String({ description: 'an ASCII-armored age file (ciphertext) to the escrow recipients' }),
    recipients: T.Array(T.String()),
    createdAt: Timestamp,
    receipt: T.Optional(Receipt),
  },
  strict,
);

export const NodeInfo = T.Object(
  {
    nodeId: T.String(),
    url: T.String(),
    status: T.Union([T.Literal('up'), T.Literal('down')]),
    recipientKey: T.String(),
    postQuantumRecipientKey: T.String(),
    signingKey: T.String({ description: "the node's Ed25519 public key that signs its exports, hex" }),
    shares: T.Integer(),
  },
  strict,
);

export const SCOPES = [
  'keys:create',
  'keys:read',
  'keys:sign',
  'keys:export',
  'keys:import',
  'keys:delete',
  'nodes:read',
  'age:generate',
  'age:rewrap',
  'workflows:create',
  'workflows:read',
  'workflows:run',
  'admin',
] as const;
export type Scope = (typeof SCOPES)[number];

const ApiKeyInfo = T.Object(
  {
    apiKeyId: T.String(),
    name: T.String(),
    publicKey: T.String(),
    scopes: T.Array(T.String()),
    createdBy: T.String(),
    createdAt: Timestamp,
    revoked: T.Boolean(),
  },
  strict,
);

export const AuditEntry = T.Object(
  {
    seq: T.Integer(),
    at: Timestamp,
    actor: T.String(),
    action: T.String(),
    details: T.Record(T.String(), T.Unknown()),
    prevHash: T.String(),
    hash: T.String(),
  },
  strict,
);

/** What a network policy may require approvals for. */
export const APPROVABLE = [
  'EXPORT_KEY_SHARE',
  'DELETE_KEY_SHARE',
  'SIGN',
  'CREATE_KEY',
  'IMPORT_KEY_SHARE',
  'REWRAPPING_KEY_SHARE',
  'SET_BACKUP_POLICY',
  'REFRESH_KEY',
  'RESHARE_KEY',
] as const;
export type Approvable = (typeof APPROVABLE)[number];
/**
 * The batch forms of components: a batch is held by the policy of its single
 * component (a policy that asks approvals for EXPORT_KEY_SHARE asks them for
 * EXPORT_KEY_SHARES too), so batching never skips an approval.
 */
export const BATCH_OF = { EXPORT_KEY_SHARES: 'EXPORT_KEY_SHARE', IMPORT_KEY_SHARES: 'IMPORT_KEY_SHARE' } as const;
export type BatchComponent = keyof typeof BATCH_OF;

/** The component whose approval policy holds `component`: itself, or for a batch its single form. */
export function policyComponent(component: string): string {
  return Object.prototype.hasOwnProperty.call(BATCH_OF, component) ? BATCH_OF[component as BatchComponent] : component;
}

/** The index of the first item whose key repeats an earlier one, or -1: a batch names each item once. */
export function firstDuplicate(keys: readonly string[]): number {
  const seen = new Set<string>();
  for (let i = 0; i < keys.length; i++) {
    if (seen.has(keys[i]!)) return i;
    seen.add(keys[i]!);
  }
  return -1;
}

/** Why one item of a batch failed: the code and message the single call would have failed with. */
export const ItemError = T.Object({ code: T.String(), message: T.String() }, strict);
export type ItemError = Static<typeof ItemError>;

/** An item's failure as its single call would report it; anything unexpected is INTERNAL, its message not handed out. */
export function itemError(err: unknown): ItemError {
  if (err instanceof WrError) return { code: err.code, message: err.message };
  return { code: codeOf(err), message: 'an unexpected error on this item: retry it; if it persists, report it with the request id' };
}

/** How long a request waits for its approvals, and an approval stays good. */
export const APPROVAL_TTL_MS = 24 * 60 * 60_000;

const ApprovalPolicy = T.Array(
  T.Object({ component: T.Union(APPROVABLE.map((c) => T.Literal(c))), approvals: T.Integer({ minimum: 1, maximum: 8 }) }, strict),
  { maxItems: APPROVABLE.length, description: "components that need approvals by distinct admin keys (other than the requester's), and how many" },
);

const ApprovalRequest = T.Object(
  {
    approvalRequestId: T.String(),
    component: T.String(),
    params: T.Unknown(),
    requester: T.String(),
    required: T.Integer(),
    approvedBy: T.Array(T.String()),
    status: T.Union([T.Literal('pending'), T.Literal('executed'), T.Literal('failed')]),
    createdAt: Timestamp,
    result: T.Optional(T.Unknown()),
    error: T.Optional(T.Object({ code: T.String(), message: T.String() }, strict)),
  },
  strict,
);

const RunId = T.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'names a workflow run: letters, digits, _ and -, up to 64' });
const RunStatus = T.Union([T.Literal('running'), T.Literal('waiting'), T.Literal('completed'), T.Literal('failed')]);
const StepError = T.Object({ code: T.String(), message: T.String(), hint: T.Optional(T.String()) }, strict);

/** One step of a run, as the workspace recorded it while it relayed the step's call. */
export const WorkflowRunStep = T.Object(
  {
    stepId: T.String(),
    component: T.String({ description: "the step's component, or 'transfer'" }),
    status: T.Union([T.Literal('pending'), T.Literal('running'), T.Literal('done'), T.Literal('waiting'), T.Literal('failed')]),
    error: T.Optional(StepError),
    approvalRequestId: T.Optional(T.String({ description: 'the step waits for (or ran through) this approval request' })),
    blob: T.Optional(T.String({ description: 'a transfer step: the blob handed in or passed on (age ciphertext)' })),
  },
  strict,
);

/**
 * The durable record of a workflow run. The caller's client drives the run (each step is a call it signs); the
 * workspace records each step as it relays it, under the idempotency key wf.<runId>.<stepId> from the run's creator.
 */
export const WorkflowRun = T.Object(
  {
    runId: T.String(),
    workflow: T.String({ description: "the definition's name" }),
    definition: WorkflowDefinition,
    inputs: T.Record(T.String(), T.Unknown(), { description: 'the inputs, secret ones left out' }),
    status: RunStatus,
    createdBy: T.String({ description: 'the API key id that created the run; only its calls move the run' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    waitingAt: T.Optional(T.String({ description: 'the step the run waits at: a transfer without its blob, or an approval' })),
    approvalRequestId: T.Optional(T.String()),
    failedAt: T.Optional(T.String()),
    error: T.Optional(T.Object({ code: T.String(), message: T.String() }, strict)),
    steps: T.Array(WorkflowRunStep),
    outputs: T.Optional(T.Record(T.String(), T.Unknown())),
  },
  strict,
);
export type WorkflowRun = Static<typeof WorkflowRun>;

export const WorkflowRunSummary = T.Object(
  {
    runId: T.String(),
    workflow: T.String(),
    status: RunStatus,
    createdBy: T.String(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    waitingAt: T.Optional(T.String()),
    failedAt: T.Optional(T.String()),
  },
  strict,
);
export type WorkflowRunSummary = Static<typeof WorkflowRunSummary>;

function component<P extends TSchema, R extends TSchema>(def: { scope: Scope; mutating: boolean; summary: string; params: P; result: R }) {
  return def;
}

export const COMPONENTS = {
  GET_NODE_RECIPIENT_KEY: component({
    scope: 'nodes:read',
    mutating: false,
    summary: "A node's age recipients (default: the workspace's default target node), with the admin-signed roster they come from, which the SDK checks.",
    params: T.Object({ nodeId: T.Optional(NodeId) }, strict),
    result: T.Object({ nodeId: T.String(), recipientKey: T.String(), postQuantumRecipientKey: T.String(), roster: SignedRoster }, strict),
  }),
  LIST_NODES: component({
    scope: 'nodes:read',
    mutating: false,
    summary: 'Every node of the network, with its recipients and status.',
    params: T.Object({}, strict),
    result: T.Object({ nodes: T.Array(NodeInfo) }, strict),
  }),
  CREATE_KEY: component({
    scope: 'keys:create',
    mutating: true,
    summary: 'Creates a threshold key by distributed key generation across the chosen nodes.',
    params: T.Object(
      {
        scheme: Scheme,
        threshold: T.Integer({ minimum: 2, maximum: LIMITS.maxParticipants }),
        nodeIds: T.Optional(T.Array(NodeId, { minItems: 2, maxItems: LIMITS.maxParticipants, uniqueItems: true })),
        exportable: T.Optional(T.Boolean({ default: true })),
      },
      strict,
    ),
    result: T.Object({ publicKey: T.String(), scheme: T.String(), threshold: T.Integer(), shares: T.Array(ShareRef) }, strict),
  }),
  REFRESH_KEY: component({
    scope: 'keys:create',
    mutating: true,
    summary:
      'Refreshes every share of a key: each holder adds a fresh sharing of zero. The group public key stays the same, the epoch goes up by one, ' +
      'and every share and wrapped copy of an older epoch stops working (import refuses it with SHARE_STALE). ' +
      'Where two nodes hold the same share (a copy left by a migration), one takes part and the other is deleted: `retired` names it.',
    params: T.Object({ publicKey: T.String({ pattern: '^([0-9a-f]{2}){32,33}$', description: 'the group public key, hex' }) }, strict),
    result: T.Object(
      {
        publicKey: T.String(),
        epoch: T.Integer(),
        shares: T.Array(ShareRef),
        retired: T.Optional(
          T.Array(T.Object({ nodeId: T.String(), keyId: T.String() }, strict), {
            description: 'copies left behind by a migration (another node holds the same share): deleted and tombstoned, they no longer work',
          }),
        ),
      },
      strict,
    ),
  }),
  SET_BACKUP_POLICY: component({
    // keys:export, and approvable like EXPORT_KEY_SHARE: a policy makes every holder export its share to these recipients, now and after
    // every refresh, so it is an export signed once; a caller who may not export may not set one.
    scope: 'keys:export',
    mutating: true,
    summary:
      "Sets a key's backup policy: escrow age recipients. Every holder checks the signed call itself, keeps it, and exports its current share " +
      'to them at once and again after every refresh (LIST_BACKUPS returns the latest). An empty list stops new backups.',
    params: T.Object(
      {
        publicKey: T.String({ pattern: '^([0-9a-f]{2}){32,33}$', description: 'the group public key, hex' }),
        recipients: T.Array(AgeRecipient, { maxItems: LIMITS.maxRecipients, uniqueItems: true }),
      },
      strict,
    ),
    result: T.Object({ publicKey: T.String(), recipients: T.Array(T.String()), epoch: T.Integer(), backups: T.Array(BackupInfo) }, strict),
  }),
  LIST_BACKUPS: component({
    scope: 'keys:read',
    mutating: false,
    summary:
      "A key's latest backups: one wrapped share (age ciphertext) per holder, with its epoch; epoch is the key's current one. " +
      'Holders that did not answer are named in unavailableNodes.',
    params: T.Object({ publicKey: T.String({ pattern: '^([0-9a-f]{2}){32,33}$', description: 'the group public key, hex' }) }, strict),
    result: T.Object(
      {
        publicKey: T.String(),
        epoch: T.Integer({ description: 'the highest epoch a holder reported: a backup below it is stale' }),
        recipients: T.Array(T.String()),
        backups: T.Array(BackupInfo),
        unavailableNodes: T.Array(NodeId, { description: 'nodes that did not answer: their backups are missing' }),
      },
      strict,
    ),
  }),
  RESHARE_KEY: component({
    scope: 'keys:create',
    mutating: true,
    summary:
      'Moves a key to a new set of nodes and/or a new threshold, with the same group public key: a quorum of the current holders deals ' +
      "Lagrange-weighted sub-shares to the new holders, who check them against the dealers' commitments. Once every new holder confirmed, " +
      'the new shares are committed at the next epoch and the old ones retired (wrapped copies of them are refused with SHARE_STALE).',
    params: T.Object(
      {
        publicKey: T.String({ pattern: '^([0-9a-f]{2}){32,33}$', description: 'the group public key, hex' }),
        threshold: T.Integer({ minimum: 2, maximum: LIMITS.maxParticipants }),
        nodeIds: T.Array(NodeId, { minItems: 2, maxItems: LIMITS.maxParticipants, uniqueItems: true }),
      },
      strict,
    ),
    result: T.Object({ publicKey: T.String(), epoch: T.Integer(), shares: T.Array(ShareRef) }, strict),
  }),
  REPAIR_KEY_SHARE: component({
    scope: 'keys:create',
    mutating: true,
    summary:
      'Rebuilds a lost share (its identifier) on a node that holds no share of the key, from a quorum of the other holders; ' +
      'no helper learns the share, and the node checks it against its verifying share before storing it.',
    params: T.Object(
      {
        publicKey: T.String({ pattern: '^([0-9a-f]{2}){32,33}$', description: 'the group public key, hex' }),
        identifier: T.String({ pattern: '^[0-9a-f]{2,128}$', description: 'the FROST identifier of the lost share, hex' }),
        nodeId: NodeId,
      },
      strict,
    ),
    result: T.Object({ keyId: T.String(), nodeId: T.String(), identifier: T.String(), receipt: T.Optional(Receipt) }, strict),
  }),
  SIGN: component({
    scope: 'keys:sign',
    mutating: false,
    summary: 'Signs a message with a quorum of shares (distinct identifiers, any nodes).',
    params: T.Object(
      {
        keyIds: T.Array(KeyId, { minItems: 1, maxItems: LIMITS.maxParticipants }),
        message: Hex(LIMITS.messageHexChars),
      },
      strict,
    ),
    result: T.Object({ signature: T.String(), publicKey: T.String() }, strict),
  }),
  LIST_KEYS: component({
    scope: 'keys:read',
    mutating: false,
    summary:
      'The key shares held by one node, or by all, a page at a time in key id order. ' +
      'Pass nextCursor back as cursor for the next page; a list gathered from every node names the nodes that did not answer.',
    params: T.Object({ nodeId: T.Optional(NodeId), limit: PageLimit, cursor: T.Optional(KeyId) }, strict),
    result: T.Object(
      {
        keys: T.Array(KeyInfo),
        nextCursor: NextCursor,
        unavailableNodes: T.Array(NodeId, { description: 'nodes that did not answer: their shares are missing from this page' }),
      },
      strict,
    ),
  }),
  GET_KEY: component({
    scope: 'keys:read',
    mutating: false,
    summary: 'One key share: its node, group public key, scheme and identifier.',
    params: T.Object({ keyId: KeyId }, strict),
    result: KeyInfo,
  }),
  DELETE_KEY_SHARE: component({
    scope: 'keys:delete',
    mutating: true,
    summary: 'Deletes one key share from its node.',
    params: T.Object({ keyId: KeyId }, strict),
    result: T.Object({ keyId: T.String(), deleted: T.Boolean() }, strict),
  }),
  GENERATE_AGE_ENCRYPTION: component({
    scope: 'age:generate',
    mutating: true,
    summary: 'Makes an age identity; returns its recipient and the identity encrypted (never in the clear).',
    params: T.Object(
      {
        passphrase: T.Optional(T.String({ minLength: 8, maxLength: 1024 })),
        postQuantum: T.Optional(T.Boolean()),
      },
      strict,
    ),
    result: T.Object({ publicKey: T.String(), encryptedPrivateKey: T.String() }, strict),
  }),
  EXPORT_KEY_SHARE: component({
    scope: 'keys:export',
    mutating: true,
    summary: 'Exports a key share as an age file wrapped to one or more recipients.',
    params: T.Object(
      {
        keyId: KeyId,
        ageRecipient: T.Union([AgeRecipient, T.Array(AgeRecipient, { minItems: 1, maxItems: LIMITS.maxRecipients })]),
      },
      strict,
    ),
    result: T.Object({ wrappedKeyShare: T.String(), receipt: T.Optional(Receipt) }, strict),
  }),
  IMPORT_KEY_SHARE: component({
    scope: 'keys:import',
    mutating: true,
    summary: 'Imports a wrapped key share into a node (default: the default target node).',
    params: T.Object({ wrappedKeyShare: WrappedShare, nodeId: T.Optional(NodeId) }, strict),
    result: T.Object(
      {
        keyId: T.String(),
        nodeId: T.String(),
        publicKey: T.String(),
        scheme: T.String(),
        identifier: T.String(),
        alreadyPresent: T.Boolean({ description: 'true when the node already held this share; keyId is the one it had' }),
        receipt: T.Optional(Receipt),
      },
      strict,
    ),
  }),
  EXPORT_KEY_SHARES: component({
    scope: 'keys:export',
    mutating: true,
    summary:
      'Exports many key shares in one call (one round trip per node), each as an age file to its recipients. Each item succeeds or fails ' +
      'on its own: results[i] answers items[i], with ok and either the wrapped share or the error code the single EXPORT_KEY_SHARE would give.',
    params: T.Object(
      {
        items: T.Array(
          T.Object({ keyId: KeyId, ageRecipient: T.Union([AgeRecipient, T.Array(AgeRecipient, { minItems: 1, maxItems: LIMITS.maxRecipients })]) }, strict),
          { minItems: 1, maxItems: LIMITS.batchItems, description: 'each keyId at most once' },
        ),
      },
      strict,
    ),
    result: T.Object(
      {
        results: T.Array(
          T.Object(
            {
              keyId: T.String(),
              ok: T.Boolean(),
              nodeId: T.Optional(T.String()),
              wrappedKeyShare: T.Optional(T.String()),
              receipt: T.Optional(Receipt),
              error: T.Optional(ItemError),
            },
            strict,
          ),
        ),
      },
      strict,
    ),
  }),
  IMPORT_KEY_SHARES: component({
    scope: 'keys:import',
    mutating: true,
    summary:
      'Imports many wrapped key shares in one call (one round trip and one transaction per node). Each item succeeds or fails on its own: ' +
      'results[i] answers items[i], with ok and either the new share or the error code the single IMPORT_KEY_SHARE would give.',
    params: T.Object(
      {
        items: T.Array(T.Object({ wrappedKeyShare: WrappedShare, nodeId: NodeId }, strict), {
          minItems: 1,
          maxItems: LIMITS.batchItems,
          description: 'each wrappedKeyShare at most once',
        }),
      },
      strict,
    ),
    result: T.Object(
      {
        results: T.Array(
          T.Object(
            {
              nodeId: T.String(),
              ok: T.Boolean(),
              keyId: T.Optional(T.String()),
              publicKey: T.Optional(T.String()),
              scheme: T.Optional(T.String()),
              identifier: T.Optional(T.String()),
              alreadyPresent: T.Optional(T.Boolean()),
              receipt: T.Optional(Receipt),
              error: T.Optional(ItemError),
            },
            strict,
          ),
        ),
      },
      strict,
    ),
  }),
  REWRAPPING_KEY_SHARE: component({
    scope: 'age:rewrap',
    mutating: true,
    summary: 'Re-encrypts a wrapped key share from one age identity to another.',
    params: T.Object(
      {
        ageIdentity: T.String({ minLength: 1, maxLength: 16 * 1024 }),
        wrappedKeyShare: WrappedShare,
        ageRecipient: T.Optional(T.Union([AgeRecipient, T.Array(AgeRecipient, { minItems: 1, maxItems: LIMITS.maxRecipients })])),
      },
      strict,
    ),
    result: T.Object(
      {
        rewrappedKeyShare: T.String(),
        publicKey: T.Optional(T.String()),
        encryptedPrivateKey: T.Optional(T.String()),
      },
      strict,
    ),
  }),
  CREATE_API_KEY: component({
    scope: 'admin',
    mutating: true,
    summary:
      'Registers the public half of an API key (generateApiKey() makes the pair; the private half never leaves its owner). ' +
      'An admin key grants only scopes it holds itself; every node applies the signed request on its own.',
    params: T.Object(
      {
        name: T.String({ minLength: 1, maxLength: 100 }),
        scopes: T.Array(T.Union(SCOPES.map((s) => T.Literal(s))), { minItems: 1, uniqueItems: true }),
        publicKey: Ed25519PublicKey,
      },
      strict,
    ),
    result: T.Object({ apiKeyId: T.String(), publicKey: T.String(), scopes: T.Array(T.String()) }, strict),
  }),
  LIST_API_KEYS: component({
    scope: 'admin',
    mutating: false,
    summary: 'The registered API keys, a page at a time in id order: public keys and scopes, never a key itself.',
    params: T.Object({ limit: PageLimit, cursor: T.Optional(T.String({ pattern: '^ak_[a-z2-7]{16}$' })) }, strict),
    result: T.Object({ apiKeys: T.Array(ApiKeyInfo), nextCursor: NextCursor }, strict),
  }),
  REVOKE_API_KEY: component({
    scope: 'admin',
    mutating: true,
    summary: 'Revokes an API key.',
    params: T.Object({ apiKeyId: T.String({ pattern: '^ak_[a-z2-7]{16}$' }) }, strict),
    result: T.Object({ apiKeyId: T.String(), revoked: T.Boolean() }, strict),
  }),
  SET_POLICY: component({
    scope: 'admin',
    mutating: true,
    summary: 'Sets the network policy. Only the root admin key may; every node checks that itself and enforces the policy on its own.',
    params: T.Object({ approvals: ApprovalPolicy }, strict),
    result: T.Object({ approvals: ApprovalPolicy }, strict),
  }),
  GET_POLICY: component({
    scope: 'keys:read',
    mutating: false,
    summary: 'The network policy in force.',
    params: T.Object({}, strict),
    result: T.Object({ approvals: ApprovalPolicy }, strict),
  }),
  REQUEST_APPROVAL: component({
    scope: 'keys:read',
    mutating: true,
    summary:
      'Submits a call that the policy holds for approvals (needs the scope of that call too). It runs, as the requester, once enough admins approve; ' +
      "the nodes check the requester's and every approver's signature themselves.",
    params: T.Object(
      { component: T.Union([...APPROVABLE, ...(Object.keys(BATCH_OF) as BatchComponent[])].map((c) => T.Literal(c))), params: T.Unknown() },
      strict,
    ),
    result: ApprovalRequest,
  }),
  APPROVE_REQUEST: component({
    scope: 'admin',
    mutating: true,
    summary: 'Approves a pending request; the approval is this signed call. The last approval needed runs the request.',
    params: T.Object({ approvalRequestId: T.String({ pattern: '^apr_[0-9a-f]{64}$' }) }, strict),
    result: ApprovalRequest,
  }),
  GET_APPROVAL_REQUEST: component({
    scope: 'keys:read',
    mutating: false,
    summary: 'One approval request: its approvals, and its result once it ran (the requester or an admin).',
    params: T.Object({ approvalRequestId: T.String({ pattern: '^apr_[0-9a-f]{64}$' }) }, strict),
    result: ApprovalRequest,
  }),
  LIST_APPROVAL_REQUESTS: component({
    scope: 'admin',
    mutating: false,
    summary: 'Approval requests, newest first, a page at a time.',
    params: T.Object(
      {
        status: T.Optional(T.Union([T.Literal('pending'), T.Literal('executed'), T.Literal('failed')])),
        limit: PageLimit,
        cursor: T.Optional(T.String({ pattern: '^[1-9][0-9]{0,15}$' })),
      },
      strict,
    ),
    result: T.Object({ requests: T.Array(ApprovalRequest), nextCursor: NextCursor }, strict),
  }),
  CREATE_WORKFLOW_RUN: component({
    scope: 'workflows:create',
    mutating: true,
    summary:
      'Records a workflow run (a template by name, or a definition), checked with its inputs; secret inputs are never sent. ' +
      'The same runId with the same request answers the same run; with another request, CONFLICT. The caller then runs its steps ' +
      'as its own signed calls (idempotency key wf.<runId>.<stepId>), and the workspace records each as it relays it.',
    params: T.Object(
      {
        template: T.Optional(T.String({ maxLength: 64 })),
        definition: T.Optional(WorkflowDefinition),
        inputs: T.Record(T.String(), T.Unknown()),
        runId: T.Optional(RunId),
      },
      strict,
    ),
    result: WorkflowRun,
  }),
  GET_WORKFLOW_RUN: component({
    scope: 'workflows:read',
    mutating: false,
    summary: 'One workflow run: each step and its status, where it waits or failed, and its outputs once completed.',
    params: T.Object({ runId: RunId }, strict),
    result: WorkflowRun,
  }),
  LIST_WORKFLOW_RUNS: component({
    scope: 'workflows:read',
    mutating: false,
    summary: 'Workflow runs, newest first, a page at a time; optionally only those with one status.',
    params: T.Object({ limit: PageLimit, cursor: T.Optional(T.String({ pattern: '^[1-9][0-9]{0,15}$' })), status: T.Optional(RunStatus) }, strict),
    result: T.Object({ runs: T.Array(WorkflowRunSummary), nextCursor: NextCursor }, strict),
  }),
  RESUME_WORKFLOW_RUN: component({
    scope: 'workflows:run',
    mutating: true,
    summary: 'Hands in the blob (age ciphertext) a waiting transfer step carries; the run goes on when its creator runs the next steps.',
    params: T.Object({ runId: RunId, stepId: T.String({ pattern: '^[a-z][a-zA-Z0-9-]{0,63}$' }), blob: WrappedShare }, strict),
    result: WorkflowRun,
  }),
  LIST_AUDIT_EVENTS: component({
    scope: 'admin',
    mutating: false,
    summary: "The audit log, oldest first, from an optional sequence number: the workspace's, or with nodeId that node's own.",
    params: T.Object(
      { after: T.Optional(T.Integer({ minimum: 0 })), limit: T.Optional(T.Integer({ minimum: 1, maximum: 1000 })), nodeId: T.Optional(NodeId) },
      strict,
    ),
    result: T.Object({ events: T.Array(AuditEntry) }, strict),
  }),
  VERIFY_AUDIT_LOG: component({
    scope: 'admin',
    mutating: false,
    summary:
      "Checks the audit log's keyed hash chain from its first entry, and its signed " +
      "head (so a cut-off tail shows): the workspace's, or with nodeId that node's own.",
    params: T.Object({ nodeId: T.Optional(NodeId) }, strict),
    result: T.Object(
      { ok: T.Boolean(), entries: T.Integer(), headHash: T.String(), firstBadSeq: T.Optional(T.Integer()), problem: T.Optional(T.String()) },
      strict,
    ),
  }),
};

export type ComponentName = keyof typeof COMPONENTS;
export type ComponentParams<C extends ComponentName> = Static<(typeof COMPONENTS)[C]['params']>;
export type ComponentResult<C extends ComponentName> = Static<(typeof COMPONENTS)[C]['result']>;

/** Component names as values: `workspace.call(ComponentModule.EXPORT_KEY_SHARE, ...)`. */
export const ComponentModule = Object.freeze(Object.fromEntries(Object.keys(COMPONENTS).map((k) => [k, k])) as { readonly [C in ComponentName]: C });
export type ComponentModule = ComponentName;

/** The HTTP path a component is called at. */
export function componentPath(name: ComponentName): string {
  return `/v1/components/${name}`;
}
