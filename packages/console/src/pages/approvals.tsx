import { useState } from 'react';
import type { ComponentResult } from '@wr/api';
import { asConsoleError, type ConsoleClient, type ConsoleError } from '../api/client.js';
import { Badge, Empty, ErrorPanel, Facts, Loading, Pager, redacted, useLoad, usePages } from '../ui.js';

type Request = ComponentResult<'LIST_APPROVAL_REQUESTS'>['requests'][number];
type Outcome = { request?: Request; error?: ConsoleError; busy?: boolean };

const PAGE = 50;

function StatusBadge({ r }: { r: Request }) {
  if (r.status === 'executed') return <Badge tone="ok">executed</Badge>;
  if (r.status === 'failed') return <Badge tone="bad">failed{r.error ? `: ${r.error.code}` : ''}</Badge>;
  return (
    <Badge tone="warn">
      pending, {r.approvedBy.length} of {r.required}
    </Badge>
  );
}

/**
 * Approval requests. Approving is this console's own signed APPROVE_REQUEST call, as `wr approvals approve` makes it:
 * every node checks that signature itself, and the last approval needed runs the request.
 */
export function ApprovalsPage({ client }: { client: ConsoleClient }) {
  const [filter, setFilter] = useState<'pending' | 'all'>('pending');
  const pages = usePages<string | undefined>(undefined);
  const cursor = pages.at;
  const [list, reload] = useLoad(
    () => client.call('LIST_APPROVAL_REQUESTS', { limit: PAGE, ...(filter === 'pending' && { status: 'pending' }), ...(cursor && { cursor }) }),
    [client, filter, cursor],
  );
  const show = (next: 'pending' | 'all') => {
    setFilter(next);
    pages.reset();
  };
  const [outcomes, setOutcomes] = useState<Record<string, Outcome>>({});

  const approve = (id: string) => {
    setOutcomes((o) => ({ ...o, [id]: { busy: true } }));
    client.call('APPROVE_REQUEST', { approvalRequestId: id }, `approve.${id}.${client.apiKeyId}`).then(
      (request) => setOutcomes((o) => ({ ...o, [id]: { request } })),
      (err: unknown) => setOutcomes((o) => ({ ...o, [id]: { error: asConsoleError(err) } })),
    );
  };

  return (
    <section aria-labelledby="approvals-title">
      <header className="page-head">
        <h1 id="approvals-title">Approvals</h1>
        <div className="row">
          <div className="segmented" role="group" aria-label="Which requests">
            <button type="button" aria-pressed={filter === 'pending'} onClick={() => show('pending')}>
              Pending
            </button>
            <button type="button" aria-pressed={filter === 'all'} onClick={() => show('all')}>
              All
            </button>
          </div>
          <button type="button" className="button secondary" onClick={reload}>
            Refresh
          </button>
        </div>
      </header>
      {list.state === 'loading' && <Loading what="approval requests" />}
      {list.state === 'error' && <ErrorPanel error={list.error} onRetry={reload} />}
      {list.state === 'ok' && list.value.requests.length === 0 && (
        <Empty>
          No {filter === 'pending' ? 'pending ' : ''}approval requests. A call the network policy holds (<code>wr policy</code>) waits here once it is submitted
          with <code>wr approvals request</code>.
        </Empty>
      )}
      {list.state === 'ok' &&
        list.value.requests.map((listed) => {
          const outcome = outcomes[listed.approvalRequestId];
          const r = outcome?.request ?? listed;
          const mine = r.requester === client.apiKeyId;
          const approved = r.approvedBy.includes(client.apiKeyId);
          return (
            <article key={r.approvalRequestId} className="card" data-testid="approval" aria-label={`Approval request ${r.approvalRequestId}`}>
              <header className="card-head">
                <h2>
                  <code>{r.component}</code>
                </h2>
                <div className="tags" data-testid="approval-status">
                  <StatusBadge r={r} />
                </div>
              </header>
              <Facts
                items={[
                  ['Request', <code>{r.approvalRequestId.slice(0, 20)}…</code>],
                  ['Requested by', <code>{r.requester}</code>],
                  ['Submitted', new Date(r.createdAt).toLocaleString()],
                  ['Approved by', r.approvedBy.length ? r.approvedBy.join(', ') : 'nobody yet'],
                ]}
              />
              <pre className="params" aria-label="Parameters">
                {JSON.stringify(redacted(r.params), null, 2)}
              </pre>
              {r.error && (
                <p className="error-inline">
                  <code className="code">{r.error.code}</code> {r.error.message}
                </p>
              )}
              {outcome?.error && <ErrorPanel error={outcome.error} />}
              {r.status === 'pending' && (
                <div className="actions">
                  <button
                    type="button"
                    className="button primary"
                    disabled={outcome?.busy || mine || approved}
                    onClick={() => approve(r.approvalRequestId)}
                    aria-label={`Approve ${r.component} request ${r.approvalRequestId.slice(0, 12)}`}
                  >
                    {outcome?.busy ? 'Approving…' : approved ? 'Approved' : 'Approve'}
                  </button>
                  {mine && <span className="muted small">You submitted this request: another admin approves it.</span>}
                </div>
              )}
            </article>
          );
        })}
      {list.state === 'ok' && <Pager label="Approval pages" pages={pages} next={list.value.nextCursor} />}
    </section>
  );
}
