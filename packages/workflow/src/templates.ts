/** The built-in workflows. `export-import-key-share` is the seed's canvas, box for box. */
import type { WorkflowDefinition } from './definition.js';

const exportImport: WorkflowDefinition = {
  name: 'export-import-key-share',
  description: 'Move a key share to another node wrapped in age: the target node recipient, a backup identity, the export, the transfer, the import.',
  inputs: {
    keyId: { type: 'string', description: 'the key share to move' },
    targetNodeId: { type: 'string', optional: true, description: 'the node to import into; given, the transfer passes the blob on at once' },
  },
  steps: [
    { id: 'recipient', component: 'GET_NODE_RECIPIENT_KEY', params: { nodeId: { input: 'targetNodeId' } } },
    { id: 'backupIdentity', component: 'GENERATE_AGE_ENCRYPTION', params: {} },
    { id: 'export', component: 'EXPORT_KEY_SHARE', params: { keyId: { input: 'keyId' }, ageRecipient: { step: 'recipient', output: 'recipientKey' } } },
    { id: 'transfer', transfer: { step: 'export', output: 'wrappedKeyShare' }, passOnIf: { input: 'targetNodeId' }, description: 'out of band' },
    {
      id: 'import',
      component: 'IMPORT_KEY_SHARE',
      params: { wrappedKeyShare: { step: 'transfer', output: 'blob' }, nodeId: { step: 'recipient', output: 'nodeId' } },
    },
  ],
  outputs: {
    keyId: { step: 'import', output: 'keyId' },
    nodeId: { step: 'import', output: 'nodeId' },
    backupPublicKey: { step: 'backupIdentity', output: 'publicKey' },
    backupEncryptedPrivateKey: { step: 'backupIdentity', output: 'encryptedPrivateKey' },
  },
};

const backupToEscrow: WorkflowDefinition = {
  name: 'backup-to-escrow',
  description: 'Export a key share wrapped to an escrow party’s age recipient.',
  inputs: { keyId: { type: 'string' }, escrowRecipient: { type: 'string', description: 'age1... or age1pq1...' } },
  steps: [{ id: 'export', component: 'EXPORT_KEY_SHARE', params: { keyId: { input: 'keyId' }, ageRecipient: { input: 'escrowRecipient' } } }],
  outputs: { wrappedKeyShare: { step: 'export', output: 'wrappedKeyShare' } },
};

const rewrap: WorkflowDefinition = {
  name: 'rewrap-for-identity-rotation',
  description: 'Re-encrypt a wrapped share from an old age identity to a new recipient, inside a node.',
  inputs: {
    wrappedKeyShare: { type: 'string' },
    ageIdentity: { type: 'string', secret: true, description: 'the old age identity (AGE-SECRET-KEY-1...): kept by the client, never recorded' },
    newRecipient: { type: 'string' },
  },
  steps: [
    {
      id: 'rewrap',
      component: 'REWRAPPING_KEY_SHARE',
      params: { wrappedKeyShare: { input: 'wrappedKeyShare' }, ageIdentity: { input: 'ageIdentity' }, ageRecipient: { input: 'newRecipient' } },
    },
  ],
  outputs: { rewrappedKeyShare: { step: 'rewrap', output: 'rewrappedKeyShare' } },
};

const migrateNode: WorkflowDefinition = {
  name: 'migrate-node',
  description: 'Move one key share to another node, then delete it from its old node.',
  inputs: { keyId: { type: 'string' }, targetNodeId: { type: 'string' } },
  steps: [
    { id: 'recipient', component: 'GET_NODE_RECIPIENT_KEY', params: { nodeId: { input: 'targetNodeId' } } },
    { id: 'export', component: 'EXPORT_KEY_SHARE', params: { keyId: { input: 'keyId' }, ageRecipient: { step: 'recipient', output: 'recipientKey' } } },
    {
      id: 'import',
      component: 'IMPORT_KEY_SHARE',
      params: { wrappedKeyShare: { step: 'export', output: 'wrappedKeyShare' }, nodeId: { input: 'targetNodeId' } },
    },
    { id: 'retire', component: 'DELETE_KEY_SHARE', params: { keyId: { input: 'keyId' } } },
  ],
  outputs: { keyId: { step: 'import', output: 'keyId' }, nodeId: { step: 'import', output: 'nodeId' } },
};

export const TEMPLATES: Readonly<Record<string, WorkflowDefinition>> = Object.freeze(
  Object.fromEntries([exportImport, backupToEscrow, rewrap, migrateNode].map((d) => [d.name, d])),
);

/** The inputs and outputs of each built-in template: `workflows.run('migrate-node', ...)` is typed by them. */
export interface TemplateTypes {
  'export-import-key-share': {
    inputs: { keyId: string; targetNodeId?: string };
    outputs: { keyId: string; nodeId: string; backupPublicKey: string; backupEncryptedPrivateKey: string };
  };
  'backup-to-escrow': { inputs: { keyId: string; escrowRecipient: string }; outputs: { wrappedKeyShare: string } };
  'rewrap-for-identity-rotation': { inputs: { wrappedKeyShare: string; ageIdentity: string; newRecipient: string }; outputs: { rewrappedKeyShare: string } };
  'migrate-node': { inputs: { keyId: string; targetNodeId: string }; outputs: { keyId: string; nodeId: string } };
}
export type TemplateName = keyof TemplateTypes;
