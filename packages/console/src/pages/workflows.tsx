import { useMemo, useState, type FormEvent, type MouseEvent } from 'react';
import { TEMPLATES, type WorkflowDefinition } from '@wr/workflow';
import { asConsoleError, type ConsoleClient, type ConsoleError } from '../api/client.js';
import { WorkflowCanvas, type BoxState } from '../workflows/canvas.js';
import { startRun, type RunResult } from '../workflows/run.js';
import { Badge, Empty, ErrorPanel, Loading, Pager, useLoad, usePages, type PageProps } from '../ui.js';
import { RunOutputs, RunStatusBadge, SaveBlob, WorkflowRunPage } from './workflow-run.js';

const NAMES = Object.keys(TEMPLATES);

/** The form's text for each input, as the typed values runWorkflow checks (an empty optional field is left out). */
function inputsOf(def: WorkflowDefinition, text: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(def.inputs)) {
    const v = (text[name] ?? '').trim();
    if (spec.type === 'boolean') out[name] = v === 'true';
    else if (v === '') continue;
    else out[name] = spec.type === 'integer' && /^-?\d+$/.test(v) ? Number(v) : v;
  }
  return out;
}

type RunView = { runId: string; busy: boolean; result?: RunResult; error?: ConsoleError };

const RUN_PATH = /^\/workflows\/runs\/([A-Za-z0-9_-]{1,64})$/;
export const runPath = (runId: string) => `/workflows/runs/${runId}`;

/** The templates and their canvas at /workflows; one run at /workflows/runs/<run id>. */
export function WorkflowsPage(props: PageProps) {
  const runId = RUN_PATH.exec(props.path)?.[1];
  return runId !== undefined ? <WorkflowRunPage {...props} runId={runId} key={runId} /> : <TemplatesPage {...props} />;
}

const RUNS_PAGE = 20;

/** Every run the workspace records (started here, with `wr workflow run` or the SDK), newest first, each opening its page. */
function RunsList({ client, go, reloadKey }: { client: ConsoleClient; go: PageProps['go']; reloadKey: unknown }) {
  const pages = usePages<string | undefined>(undefined);
  const cursor = pages.at;
  const [list, reload] = useLoad(() => client.call('LIST_WORKFLOW_RUNS', { limit: RUNS_PAGE, ...(cursor && { cursor }) }), [client, cursor, reloadKey]);
  const open = (e: MouseEvent<HTMLAnchorElement>, runId: string) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    go(runPath(runId));
  };
  return (
    <section className="card" aria-labelledby="runs-title" data-testid="runs">
      <header className="card-head">
        <h2 id="runs-title">Runs</h2>
        <button type="button" className="button secondary small" onClick={reload}>
          Refresh
        </button>
      </header>
      {list.state === 'loading' && <Loading what="runs" />}
      {list.state === 'error' && <ErrorPanel error={list.error} onRetry={reload} />}
      {list.state === 'ok' && list.value.runs.length === 0 && (
        <Empty>
          No workflow runs yet: run a template above, or with <code>wr workflow run TEMPLATE</code>.
        </Empty>
      )}
      {list.state === 'ok' && list.value.runs.length > 0 && (
        <div className="table-wrap">
          <table className="inner">
            <caption className="sr-only">Workflow runs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Workflow</th>
                <th scope="col">Status</th>
                <th scope="col">At step</th>
                <th scope="col">Started by</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {list.value.runs.map((r) => (
                <tr key={r.runId} data-testid={`run-${r.runId}`}>
                  <td>
                    <a href={runPath(r.runId)} onClick={(e) => open(e, r.runId)}>
                      <code>{r.runId}</code>
                    </a>
                  </td>
                  <td>{r.workflow}</td>
                  <td>
                    <RunStatusBadge status={r.status} />
                  </td>
                  <td>{r.waitingAt ?? r.failedAt ?? ''}</td>
                  <td>
                    <code>{r.createdBy === client.apiKeyId ? 'this console' : r.createdBy}</code>
                  </td>
                  <td className="nowrap">{new Date(r.updatedAt).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.state === 'ok' && <Pager label="Run pages" pages={pages} next={list.value.nextCursor} />}
    </section>
  );
}

/** Pick a template, see its canvas, fill its inputs, run it: each box shows its step's status as the run goes. */
function TemplatesPage({ client, go }: PageProps) {
  const [name, setName] = useState(NAMES.includes('export-import-key-share') ? 'export-import-key-share' : NAMES[0]!);
  const definition = TEMPLATES[name]!;
  const [text, setText] = useState<Record<string, string>>({});
  const [states, setStates] = useState<Record<string, BoxState>>({});
  const [run, setRun] = useState<RunView | undefined>();
  const [keys] = useLoad(() => client.call('LIST_KEYS', { limit: 200 }), [client]);
  const [nodes] = useLoad(() => client.call('LIST_NODES', {}), [client]);
  const suggestions = useMemo(
    () => ({
      keyId: keys.state === 'ok' ? keys.value.keys.map((k) => `${k.keyId}|${k.nodeId}, ${k.threshold} of ${k.maxSigners}, epoch ${k.epoch}`) : [],
      nodeId: nodes.state === 'ok' ? nodes.value.nodes.map((n) => `${n.nodeId}|${n.status}`) : [],
    }),
    [keys, nodes],
  );

  const choose = (next: string) => {
    setName(next);
    setText({});
    setStates({});
    setRun(undefined);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setStates({});
    const started = startRun(client, definition, inputsOf(definition, text), (event) =>
      setStates((s) => ({ ...s, [event.stepId]: { status: event.status, error: event.error } })),
    );
    setRun({ runId: started.runId, busy: true });
    started.done.then(
      (result) => setRun({ runId: started.runId, busy: false, result }),
      (err: unknown) => setRun({ runId: started.runId, busy: false, error: asConsoleError(err) }),
    );
  };

  const listFor = (input: string) => (/node/i.test(input) ? 'nodeId' : /keyid/i.test(input) ? 'keyId' : undefined);

  return (
    <section aria-labelledby="workflows-title">
      <header className="page-head">
        <h1 id="workflows-title">Workflows</h1>
        <label className="inline-field">
          <span>Template</span>
          <select value={name} onChange={(e) => choose(e.target.value)} disabled={run?.busy} data-testid="template">
            {NAMES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </header>
      {definition.description && <p className="lead">{definition.description}</p>}
      <WorkflowCanvas definition={definition} states={states} />
      <form className="card run-form" onSubmit={submit} aria-label={`Run ${name}`}>
        <h2>Run</h2>
        <div className="fields">
          {Object.entries(definition.inputs).map(([input, spec]) => {
            const list = listFor(input);
            const id = `input-${input}`;
            return (
              <div className="field" key={input}>
                <label htmlFor={id}>
                  {input} {spec.optional ? <span className="muted">(optional)</span> : <span className="required">(required)</span>}
                </label>
                {spec.type === 'boolean' ? (
                  <select id={id} value={text[input] ?? 'false'} onChange={(e) => setText((t) => ({ ...t, [input]: e.target.value }))}>
                    <option value="false">false</option>
                    <option value="true">true</option>
                  </select>
                ) : (
                  <input
                    id={id}
                    name={input}
                    // An identity typed here is a secret: not shown on screen, and sealed to the nodes before it is sent.
                    type={/identity/i.test(input) ? 'password' : 'text'}
                    inputMode={spec.type === 'integer' ? 'numeric' : undefined}
                    required={!spec.optional}
                    autoComplete="off"
                    spellCheck={false}
                    list={list ? `${list}-options` : undefined}
                    value={text[input] ?? ''}
                    onChange={(e) => setText((t) => ({ ...t, [input]: e.target.value }))}
                    aria-describedby={spec.description ? `${id}-help` : undefined}
                  />
                )}
                {spec.description && (
                  <p className="help" id={`${id}-help`}>
                    {spec.description}
                  </p>
                )}
              </div>
            );
          })}
        </div>
        {(['keyId', 'nodeId'] as const).map((list) => (
          <datalist key={list} id={`${list}-options`}>
            {suggestions[list].map((s) => {
              const [value, label] = s.split('|');
              return (
                <option key={value} value={value}>
                  {label}
                </option>
              );
            })}
          </datalist>
        ))}
        <div className="actions">
          <button type="submit" className="button primary" disabled={run?.busy}>
            {run?.busy ? 'Running…' : 'Run'}
          </button>
          {run && (
            <span className="muted small">
              run <code data-testid="run-id">{run.runId}</code>
            </span>
          )}
        </div>
      </form>
      {run?.error && <ErrorPanel error={run.error} />}
      {run?.result?.status === 'waiting' && (
        <div className="banner banner-warn" role="status" data-testid="run-outcome">
          <Badge tone="warn">waiting</Badge>{' '}
          {run.result.approvalRequestId
            ? `The run waits at ${run.result.waitingAt} for the approvals the network's policy requires.`
            : `The run waits at ${run.result.waitingAt} for the wrapped share to be moved out of band and handed in, on the run's page.`}
          <div className="actions">
            {run.result.blob !== undefined && <SaveBlob runId={run.runId} stepId={run.result.waitingAt} blob={run.result.blob} />}
            <a
              href={runPath(run.runId)}
              className="button primary"
              onClick={(e) => {
                e.preventDefault();
                go(runPath(run.runId));
              }}
            >
              Open the run
            </a>
          </div>
        </div>
      )}
      {run?.result?.status === 'completed' && <RunOutputs outputs={run.result.outputs} />}
      <RunsList client={client} go={go} reloadKey={run?.busy === false ? run.runId : undefined} />
    </section>
  );
}
