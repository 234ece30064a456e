import { openRoster, type Roster, type RosterNode, type SignedRoster } from '@wr/api';
import { WrError } from '@wr/common';
import type { Db } from '@wr/server';
import type { Keyring } from './keyring.js';

/**
 * This node's copy of the network roster. Anyone may hand it a roster (the
 * workspace does, at start), but it takes one only if the root admin key
 * signed it, it is no older than the one held, and it lists this node with
 * its own keys.
 */
export class NodeRoster {
  #roster: Roster | undefined;

  constructor(
    private readonly db: Db,
    private readonly adminPublicKey: string,
    private readonly nodeId: string,
    private readonly keyring: Keyring,
  ) {
    const row = db.prepare('SELECT signed FROM roster WHERE id = 1').get() as { signed: string } | undefined;
    if (row) this.#roster = openRoster(JSON.parse(row.signed) as SignedRoster, adminPublicKey);
  }

  get version(): number {
    return this.#roster?.version ?? 0;
  }

  /** Takes a newer roster; the same version again is a no-op. */
  accept(signed: SignedRoster): { version: number; changed: boolean } {
    const roster = openRoster(signed, this.adminPublicKey);
    const me = roster.nodes.find((n) => n.nodeId === this.nodeId);
    if (
      !me ||
      me.signingKey !== this.keyring.signingPublicKey ||
      me.recipientKey !== this.keyring.recipient ||
      me.postQuantumRecipientKey !== this.keyring.postQuantumRecipient
    ) {
      throw new WrError('PERMISSION_DENIED', `the roster does not list ${this.nodeId} with this node's own keys`);
    }
    if (roster.version < this.version) throw new WrError('CONFLICT', `this node holds roster version ${this.version}; version ${roster.version} is older`);
    if (roster.version === this.version) return { version: roster.version, changed: false };
    this.db
      .prepare('INSERT INTO roster (id, version, signed) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version, signed = excluded.signed')
      .run(roster.version, JSON.stringify(signed));
    this.#roster = roster;
    return { version: roster.version, changed: true };
  }

  /** The roster, or NODE_UNAVAILABLE while this node has none (the workspace hands it over when it starts). */
  get(): Roster {
    if (!this.#roster)
      throw new WrError('NODE_UNAVAILABLE', `${this.nodeId} has no signed roster yet, so it knows no peers: start the workspace, which hands it over`, {
        retryable: true,
      });
    return this.#roster;
  }

  /** A node of the roster, or PERMISSION_DENIED: this node runs a protocol (it `doing`, as in 'refreshes') only with roster nodes. */
  node(nodeId: string, doing: string): RosterNode {
    const n = this.get().nodes.find((r) => r.nodeId === nodeId);
    if (!n) throw new WrError('PERMISSION_DENIED', `${nodeId} is not a node of the roster: this node ${doing} only with roster nodes`);
    return n;
  }

  /** The signing keys of every node in the roster: the only exporters an import trusts. */
  signingKeys(): string[] {
    return this.get().nodes.map((n) => n.signingKey);
  }
}
