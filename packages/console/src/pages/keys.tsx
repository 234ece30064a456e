import { useState } from 'react';
import type { ComponentResult } from '@wr/api';
import { asConsoleError, type ConsoleClient, type ConsoleError } from '../api/client.js';
import { Badge, Empty, ErrorPanel, Loading, Pager, Short, useLoad, usePages } from '../ui.js';

type Share = ComponentResult<'LIST_KEYS'>['keys'][number];
type Backups = ComponentResult<'LIST_BACKUPS'>;

const PAGE = 50;

/** Shares of one page grouped by their key (the group public key), in the order the page lists them. */
function byKey(shares: Share[]): { publicKey: string; shares: Share[] }[] {
  const groups = new Map<string, Share[]>();
  for (const s of shares) groups.set(s.publicKey, [...(groups.get(s.publicKey) ?? []), s]);
  return [...groups].map(([publicKey, list]) => ({ publicKey, shares: list.sort((a, b) => a.nodeId.localeCompare(b.nodeId)) }));
}

function BackupsOf({ client, publicKey }: { client: ConsoleClient; publicKey: string }) {
  const [state, setState] = useState<{ loading: boolean; value?: Backups; error?: ConsoleError }>({ loading: false });
  const load = () => {
    setState({ loading: true });
    client.call('LIST_BACKUPS', { publicKey }).then(
      (value) => setState({ loading: false, value }),
      (err: unknown) => setState({ loading: false, error: asConsoleError(err) }),
    );
  };
  if (state.loading) return <Loading what="backups" />;
  if (state.error) return <ErrorPanel error={state.error} onRetry={load} />;
  if (!state.value)
    return (
      <button type="button" className="button secondary small" onClick={load} aria-label={`Show backups of key ${publicKey.slice(0, 12)}`}>
        Show backups
      </button>
    );
  const b = state.value;
  if (b.backups.length === 0) return <p className="muted small">No backups: set a backup policy with `wr backups set`.</p>;
  return (
    <table className="inner">
      <caption>
        Backups at epoch {b.epoch}, to {b.recipients.length} escrow recipient{b.recipients.length === 1 ? '' : 's'}
        {b.unavailableNodes.length > 0 && ` (not answering: ${b.unavailableNodes.join(', ')})`}
      </caption>
      <thead>
        <tr>
          <th scope="col">Node</th>
          <th scope="col">Epoch</th>
          <th scope="col">Recipients</th>
          <th scope="col">Made</th>
        </tr>
      </thead>
      <tbody>
        {b.backups.map((x) => (
          <tr key={`${x.nodeId}-${x.identifier}`}>
            <td>{x.nodeId}</td>
            <td className="num">{x.epoch < b.epoch ? <Badge tone="warn">{x.epoch} (stale)</Badge> : x.epoch}</td>
            <td>
              {x.recipients.map((r) => (
                <Short key={r} value={r} keep={8} />
              ))}
            </td>
            <td>{new Date(x.createdAt).toLocaleString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Every key, a page of shares at a time: its shares, where each lives, epoch, exportable, and its backups on demand. */
export function KeysPage({ client }: { client: ConsoleClient }) {
  const pages = usePages<string | undefined>(undefined);
  const cursor = pages.at;
  const [page, reload] = useLoad(() => client.call('LIST_KEYS', { limit: PAGE, ...(cursor && { cursor }) }), [client, cursor]);

  return (
    <section aria-labelledby="keys-title">
      <header className="page-head">
        <h1 id="keys-title">Keys</h1>
        <button type="button" className="button secondary" onClick={reload}>
          Refresh
        </button>
      </header>
      {page.state === 'loading' && <Loading what="keys" />}
      {page.state === 'error' && <ErrorPanel error={page.error} onRetry={reload} />}
      {page.state === 'ok' && page.value.unavailableNodes.length > 0 && (
        <p className="warning" role="status">
          Not answering: {page.value.unavailableNodes.join(', ')}. Their shares are missing from this page.
        </p>
      )}
      {page.state === 'ok' && page.value.keys.length === 0 && (
        <Empty>
          No keys yet — create one with <code>wr keys create --threshold 2</code> (or CREATE_KEY from the SDK).
        </Empty>
      )}
      {page.state === 'ok' &&
        byKey(page.value.keys).map(({ publicKey, shares }) => {
          const first = shares[0]!;
          const epochs = [...new Set(shares.map((s) => s.epoch))];
          return (
            <article key={publicKey} className="card" aria-label={`Key ${publicKey}`} data-testid="key-card">
              <header className="card-head">
                <h2>
                  <span className="muted small label">Group public key</span> <Short value={publicKey} keep={12} />
                </h2>
                <div className="tags">
                  <Badge tone="info">{first.scheme}</Badge>
                  <Badge tone="neutral">
                    {first.threshold} of {first.maxSigners}
                  </Badge>
                  <Badge tone="neutral">epoch {epochs.join(', ')}</Badge>
                  {first.exportable ? <Badge tone="warn">exportable</Badge> : <Badge tone="ok">not exportable</Badge>}
                </div>
              </header>
              <table className="inner">
                <caption className="sr-only">Shares of this key</caption>
                <thead>
                  <tr>
                    <th scope="col">Share (key id)</th>
                    <th scope="col">Node</th>
                    <th scope="col">Identifier</th>
                    <th scope="col">Epoch</th>
                    <th scope="col">Origin</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {shares.map((s) => (
                    <tr key={s.keyId + s.nodeId}>
                      <td>
                        <code data-testid="share-key-id">{s.keyId}</code>
                      </td>
                      <td>{s.nodeId}</td>
                      <td>
                        <Short value={s.identifier} keep={6} />
                      </td>
                      <td className="num">{s.epoch}</td>
                      <td>{s.origin}</td>
                      <td>{new Date(s.createdAt).toLocaleString()}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <BackupsOf client={client} publicKey={publicKey} />
            </article>
          );
        })}
      {page.state === 'ok' && <Pager label="Key pages" pages={pages} next={page.value.nextCursor} />}
    </section>
  );
}
