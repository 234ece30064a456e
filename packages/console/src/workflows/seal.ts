/**
 * An age identity typed into the console never reaches the workspace in the clear: like the SDK, the console
 * wraps it to every node's recipients from the admin-signed roster (GET_NODE_RECIPIENT_KEY), and the node that
 * does the rewrap opens it. An identity already sealed (an armored age file) goes as it is.
 */
import { Encrypter, armor } from 'age-encryption';

/** Whether `text` is an age identity in the clear (as opposed to one sealed in an armored age file). */
export function isClearIdentity(text: unknown): text is string {
  return typeof text === 'string' && /^AGE-SECRET-KEY-/m.test(text) && !text.includes('-----BEGIN AGE ENCRYPTED FILE-----');
}

/** The identity as an armored age file to each node's recipient (post-quantum ones for a post-quantum identity). */
export async function sealIdentity(identity: string, nodes: { recipientKey: string; postQuantumRecipientKey: string }[]): Promise<string> {
  if (nodes.length === 0) throw new Error('no node to seal the identity to');
  const postQuantum = /^AGE-SECRET-KEY-PQ-1/m.test(identity);
  const e = new Encrypter();
  for (const n of nodes) e.addRecipient(postQuantum ? n.postQuantumRecipientKey : n.recipientKey);
  return armor.encode(await e.encrypt(identity));
}
