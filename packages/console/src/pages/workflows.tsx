import { useMemo, useState, type FormEvent } from 'react';
import { TEMPLATES, type WorkflowDefinition } from '@wr/workflow';
import { asConsoleError, type ConsoleClient, type ConsoleError } from '../api/client.js';
import { WorkflowCanvas, type BoxState } from '../workflows/canvas.js';
import { startRun, type RunResult } from '../workflows/run.js';
import { ErrorPanel, Badge, redacted, useLoad } from '../ui.js';

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

/** Pick a template, see its canvas, fill its inputs, run it: each box shows its step's status as the run goes. */
export function WorkflowsPage({ client }: { client: ConsoleClient }) {
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
        <p className="banner banner-warn" role="status" data-testid="run-outcome">
          <Badge tone="warn">waiting</Badge> The run waits at <code>{run.result.waitingAt}</code> for the wrapped share to be handed over out of band, which the
          console cannot take in yet. Give a target node to pass it on at once, or run it with <code>wr workflow run {name}</code>, which writes the blob to a
          file and takes it back with <code>--blob</code>.
        </p>
      )}
      {run?.result?.status === 'completed' && (
        <div className="card" role="status" data-testid="run-outcome">
          <h2>
            <Badge tone="ok">completed</Badge> Outputs
          </h2>
          <dl className="facts plain">
            {Object.entries(redacted(run.result.outputs) as Record<string, unknown>).map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>
                  <code data-testid={`output-${k}`}>{typeof v === 'string' ? v : JSON.stringify(v)}</code>
                </dd>
              </div>
            ))}
          </dl>
        </div>
      )}
    </section>
  );
}
