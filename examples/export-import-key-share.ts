/**
 * The seed's example (shared/seed/export-import-key-share.md), runnable:
 *
 *   npm run example                          # against the network `npm start` runs
 *   SOURCE_KEY_ID=key_... npm run example    # move that share instead of a fresh key's
 *
 * The example's steps are the seed's, as written. Around them, what the seed
 * leaves to its reader: which share to move (a key made here, unless
 * SOURCE_KEY_ID names one), and where `secrets` and `db` keep what it stores
 * (files under .wr/example/; the age identity stays encrypted).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkspaceClient, ComponentModule } from 'caller-sdk';

const store = join('.wr', 'example');
mkdirSync(store, { recursive: true, mode: 0o700 });
const secrets = { store: async (name: string, value: string) => writeFileSync(join(store, name), value, { mode: 0o600 }) };
const db = { saveKeyId: async (keyId: string) => writeFileSync(join(store, 'new-key-id'), keyId + '\n') };

const workspace = new WorkspaceClient({ apiKey: process.env.WR_API_KEY! });

// The keyId of the key share you want to export/migrate
const sourceKeyId =
  process.env.SOURCE_KEY_ID ??
  (await workspace.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise()).shares[0]!
    .keyId;
console.log('Source key share:', sourceKeyId);

// Step 1: Fetch the target MPC node's age public key
const recipientResult = await workspace.call(ComponentModule.GET_NODE_RECIPIENT_KEY, {}).promise();
const { recipientKey } = recipientResult;
console.log('Target node recipient key:', recipientKey); // age1...

// Step 2: (Optional) Generate a fresh age identity for your own backup
const ageResult = await workspace.call(ComponentModule.GENERATE_AGE_ENCRYPTION, {}).promise();
const { publicKey: myAgePublicKey, encryptedPrivateKey: myAgeEncryptedPrivateKey } = ageResult;
console.log('Backup identity:', myAgePublicKey);
await secrets.store('age-private-key', myAgeEncryptedPrivateKey);

// Step 3: Export the key share, encrypted to the target node's key
const exportResult = await workspace
  .call(ComponentModule.EXPORT_KEY_SHARE, {
    keyId: sourceKeyId,
    ageRecipient: recipientKey, // encrypt to the target node
  })
  .promise();
const { wrappedKeyShare } = exportResult;
console.log('Wrapped key share (safe to transfer):', wrappedKeyShare.slice(0, 40) + '...');

// Step 5: Import the wrapped key share into the target MPC node
const importResult = await workspace
  .call(ComponentModule.IMPORT_KEY_SHARE, {
    wrappedKeyShare,
  })
  .promise();
const { keyId: newKeyId } = importResult;
console.log('New keyId on target node:', newKeyId);
await db.saveKeyId(newKeyId);
