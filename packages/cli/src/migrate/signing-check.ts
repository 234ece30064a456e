import { WrError, fromHex, toHex } from '@wr/common';
import { getScheme } from '@wr/crypto';
import { ComponentModule, type ComponentResult, type WorkspaceClient } from 'caller-sdk';

type KeyInfo = ComponentResult<'GET_KEY'>;

/** The message a moved share signs: fixed per share, so a rerun signs the same thing. */
export function checkMessage(keyId: string): string {
  return toHex(new TextEncoder().encode(`wr migrate signing check ${keyId}`));
}

/**
 * Shares to sign with beside `moved`: of the same key, not on the source node
 * (which is about to lose its share), with participants distinct from the
 * moved one and from each other, as many as the threshold needs.
 */
export function coSigners(moved: KeyInfo, sharesOfKey: readonly KeyInfo[], sourceNode: string): KeyInfo[] {
  const picked: KeyInfo[] = [];
  const identifiers = new Set([moved.identifier]);
  for (const k of sharesOfKey) {
    if (picked.length === moved.threshold - 1) break;
    if (k.nodeId === sourceNode || k.keyId === moved.keyId || identifiers.has(k.identifier)) continue;
    identifiers.add(k.identifier);
    picked.push(k);
  }
  if (picked.length < moved.threshold - 1) {
    throw new WrError(
      'NOT_FOUND',
      `no quorum to check ${moved.keyId} with: its key needs ${moved.threshold} shares and only ${picked.length + 1} distinct ones live outside ${sourceNode}`,
    );
  }
  return picked;
}

/**
 * Proves that a moved share still signs: SIGN with it and co-signers, then
 * verify the signature under the key's group public key with the scheme's
 * standard verifier (not trusting the workspace's word for it).
 */
export async function checkSigns(client: WorkspaceClient, moved: KeyInfo, sharesOfKey: readonly KeyInfo[], sourceNode: string): Promise<void> {
  const others = coSigners(moved, sharesOfKey, sourceNode);
  const message = checkMessage(moved.keyId);
  const { signature } = await client.call(ComponentModule.SIGN, { keyIds: [moved.keyId, ...others.map((k) => k.keyId)], message }).promise();
  const scheme = getScheme(moved.scheme);
  if (!scheme.verify(fromHex(signature, 'signature'), fromHex(message, 'message'), fromHex(moved.publicKey, 'publicKey'))) {
    throw new WrError('SHARE_INVALID', `the signature made with ${moved.keyId} does not verify under its group public key`);
  }
}
