/**
 * The field schemas the wire contracts share: one pattern for each kind of
 * identifier, key and signature, so that every contract spells them alike.
 */
import { Type as T } from '@sinclair/typebox';

/** Lowercase hex of whole bytes, at most `maxLength` digits. */
export const Hex = (maxLength: number) => T.String({ pattern: '^([0-9a-f]{2})*$', maxLength, description: 'lowercase hex' });
export const Ed25519PublicKey = T.String({ pattern: '^[0-9a-f]{64}$', description: 'an Ed25519 public key, 64 hex digits' });
export const Ed25519Signature = T.String({ pattern: '^[0-9a-f]{128}$', description: 'an Ed25519 signature, 128 hex digits' });
export const NodeId = T.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'a node id such as node-1' });
export const KeyId = T.String({ pattern: '^key_[0-9a-z]{26}$', description: 'a key share id, key_...' });
export const SessionId = T.String({ pattern: '^ses_[0-9a-z]{26}$' });
