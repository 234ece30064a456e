/**
 * A node's receipt for what it did: signed with its own key (the one the
 * roster pins), over the facts a caller asked for. The workspace passes
 * receipts through and cannot make one, so a caller that knows the admin key
 * can check that a key really was made on the nodes it named, that an
 * export really came from the node holding the share, to its own recipients,
 * or that a refresh really moved every share to the new epoch.
 */
import { Type as T, type Static } from '@sinclair/typebox';
import { canonicalJson, utf8 } from '@wr/common';
import { Ed25519Signature } from './fields.js';

export const Receipt = T.Object(
  { nodeId: T.String(), signature: Ed25519Signature },
  { additionalProperties: false, description: "the node's signature over what it did, checked by the SDK against the roster" },
);
export type Receipt = Static<typeof Receipt>;

export type ReceiptFacts =
  | {
      kind: 'key';
      nodeId: string;
      keyId: string;
      publicKey: string;
      identifier: string;
      scheme: string;
      threshold: number;
      maxSigners: number;
      exportable: boolean;
    }
  | { kind: 'export'; nodeId: string; keyId: string; recipients: string[]; wrappedSha256: string }
  | { kind: 'import'; nodeId: string; keyId: string; publicKey: string; identifier: string }
  | { kind: 'refresh'; nodeId: string; keyId: string; publicKey: string; identifier: string; epoch: number }
  | { kind: 'repair'; nodeId: string; keyId: string; publicKey: string; identifier: string }
  | { kind: 'reshare'; nodeId: string; keyId: string; publicKey: string; identifier: string; epoch: number; threshold: number };

/** The bytes a node signs for a receipt: its facts, as canonical JSON. */
export function receiptMessage(facts: ReceiptFacts): Uint8Array {
  return utf8(`wr-node-receipt-v2\n${canonicalJson(facts)}`);
}
