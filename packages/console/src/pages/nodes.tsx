import { useEffect, useState } from 'react';
import type { ConsoleClient } from '../api/client.js';
import { Badge, Empty, ErrorPanel, Facts, Loading, Short, fingerprint, useLoad } from '../ui.js';

interface RosterView {
  version: number;
  issuedAt: string;
  fingerprint: string;
  /** Each node's TLS certificate fingerprint as the roster pins it. */
  tls: Record<string, string | undefined>;
}

/** Every node: status, URL, recipients, signing key, TLS certificate; and the admin-signed roster that pins them. */
export function NodesPage({ client }: { client: ConsoleClient }) {
  const [nodes, reload] = useLoad(() => client.call('LIST_NODES', {}), [client]);
  const [roster, setRoster] = useState<RosterView | undefined>();
  const [prints, setPrints] = useState<Record<string, string>>({});

  useEffect(() => {
    let live = true;
    client
      .call('GET_NODE_RECIPIENT_KEY', {})
      .then(async ({ roster: signed }) => {
        const parsed = JSON.parse(signed.roster) as { version: number; issuedAt: string; nodes: { nodeId: string; tlsCertFingerprint?: string }[] };
        const view = {
          version: parsed.version,
          issuedAt: parsed.issuedAt,
          fingerprint: await fingerprint(signed.roster),
          tls: Object.fromEntries(parsed.nodes.map((n) => [n.nodeId, n.tlsCertFingerprint])),
        };
        if (live) setRoster(view);
      })
      .catch(() => undefined); // the roster is extra detail; the node list below shows any error
    return () => {
      live = false;
    };
  }, [client]);

  useEffect(() => {
    if (nodes.state !== 'ok') return;
    let live = true;
    void Promise.all(nodes.value.nodes.map(async (n) => [n.nodeId, await fingerprint(n.signingKey)] as const)).then(
      (pairs) => live && setPrints(Object.fromEntries(pairs)),
    );
    return () => {
      live = false;
    };
  }, [nodes]);

  return (
    <section aria-labelledby="nodes-title">
      <header className="page-head">
        <h1 id="nodes-title">Nodes</h1>
        <button type="button" className="button secondary" onClick={reload}>
          Refresh
        </button>
      </header>
      {roster && (
        <Facts
          label="Roster"
          items={[
            ['Roster version', roster.version],
            ['Issued', new Date(roster.issuedAt).toLocaleString()],
            ['Roster fingerprint (SHA-256)', <code data-testid="roster-fingerprint">{roster.fingerprint}</code>],
          ]}
        />
      )}
      {nodes.state === 'loading' && <Loading what="nodes" />}
      {nodes.state === 'error' && <ErrorPanel error={nodes.error} onRetry={reload} />}
      {nodes.state === 'ok' && nodes.value.nodes.length === 0 && <Empty>No nodes in this network yet: add them to the workspace's config and roster.</Empty>}
      {nodes.state === 'ok' && nodes.value.nodes.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Nodes of the network</caption>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Status</th>
                <th scope="col">URL</th>
                <th scope="col">Shares</th>
                <th scope="col">age recipient</th>
                <th scope="col">Post-quantum recipient</th>
                <th scope="col">Signing key fingerprint</th>
                <th scope="col">TLS certificate (pinned)</th>
              </tr>
            </thead>
            <tbody>
              {nodes.value.nodes.map((n) => (
                <tr key={n.nodeId} data-testid={`node-${n.nodeId}`}>
                  <th scope="row">{n.nodeId}</th>
                  <td>{n.status === 'up' ? <Badge tone="ok">up</Badge> : <Badge tone="bad">down</Badge>}</td>
                  <td>
                    <code>{n.url}</code>
                  </td>
                  <td className="num">{n.shares}</td>
                  <td>
                    <Short value={n.recipientKey} keep={12} />
                  </td>
                  <td>
                    <Short value={n.postQuantumRecipientKey} keep={10} />
                  </td>
                  <td>
                    <code title={n.signingKey}>{prints[n.nodeId] ?? '…'}</code>
                  </td>
                  <td data-testid={`tls-${n.nodeId}`}>
                    {roster?.tls[n.nodeId] ? <Short value={roster.tls[n.nodeId]!} keep={16} /> : <span className="muted">{roster ? 'not pinned' : '…'}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
