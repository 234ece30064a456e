import { useState } from 'react';
import type { ConsoleClient } from '../api/client.js';
import { Badge, Details, Empty, ErrorPanel, Loading, Pager, Short, useLoad, usePages } from '../ui.js';

const PAGE = 50;

/** The audit log (the workspace's, or one node's own), a page at a time, with its hash chain and signed head checked. */
export function AuditPage({ client }: { client: ConsoleClient }) {
  const [source, setSource] = useState('');
  const pages = usePages(0);
  const after = pages.at;
  const nodeId = source || undefined;
  const [nodes] = useLoad(() => client.call('LIST_NODES', {}), [client]);
  const [check, recheck] = useLoad(() => client.call('VERIFY_AUDIT_LOG', { ...(nodeId && { nodeId }) }), [client, nodeId]);
  // One more than a page: whether there is a next page.
  const [events, reload] = useLoad(() => client.call('LIST_AUDIT_EVENTS', { after, limit: PAGE + 1, ...(nodeId && { nodeId }) }), [client, after, nodeId]);
  const refresh = () => {
    recheck();
    reload();
  };

  return (
    <section aria-labelledby="audit-title">
      <header className="page-head">
        <h1 id="audit-title">Audit log</h1>
        <div className="row">
          <label className="inline-field">
            <span>Log of</span>
            <select
              value={source}
              onChange={(e) => {
                setSource(e.target.value);
                pages.reset();
              }}
            >
              <option value="">the workspace</option>
              {nodes.state === 'ok' &&
                nodes.value.nodes.map((n) => (
                  <option key={n.nodeId} value={n.nodeId}>
                    {n.nodeId}
                  </option>
                ))}
            </select>
          </label>
          <button type="button" className="button secondary" onClick={refresh}>
            Refresh
          </button>
        </div>
      </header>
      <div className="verify" aria-live="polite">
        {check.state === 'loading' && <Loading what="the chain check" />}
        {check.state === 'error' && <ErrorPanel error={check.error} onRetry={recheck} />}
        {check.state === 'ok' &&
          (check.value.ok ? (
            <p className="banner banner-ok" data-testid="audit-verify">
              <Badge tone="ok">chain verified</Badge> {check.value.entries} {check.value.entries === 1 ? 'entry' : 'entries'}; the hash chain and the signed
              head match. Head <Short value={check.value.headHash} keep={8} />
            </p>
          ) : (
            <p className="banner banner-bad" data-testid="audit-verify">
              <Badge tone="bad">chain broken</Badge> {check.value.problem ?? 'the chain does not verify'}
              {check.value.firstBadSeq !== undefined && ` (first bad entry: #${check.value.firstBadSeq})`}
            </p>
          ))}
      </div>
      {events.state === 'loading' && <Loading what="audit entries" />}
      {/* Refused like the chain check (a scope this key lacks, say): said once, above. */}
      {events.state === 'error' && !(check.state === 'error' && check.error.code === events.error.code) && <ErrorPanel error={events.error} onRetry={reload} />}
      {events.state === 'ok' && events.value.events.length === 0 && (
        <Empty>No audit entries{after > 0 ? ' after these' : ' yet'}: every call that changes something is recorded here.</Empty>
      )}
      {events.state === 'ok' && events.value.events.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Audit entries, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {events.value.events.slice(0, PAGE).map((e) => (
                <tr key={e.seq}>
                  <td className="num">{e.seq}</td>
                  <td className="nowrap">{new Date(e.at).toLocaleString()}</td>
                  <td>
                    <code>{e.actor}</code>
                  </td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td className="details">
                    <Details value={e.details} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {events.state === 'ok' && (
        <Pager label="Audit pages" pages={pages} next={events.value.events.length > PAGE ? events.value.events[PAGE - 1]!.seq : undefined} />
      )}
    </section>
  );
}
