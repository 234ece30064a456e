/**
 * One workflow run, from the workspace's record (GET_WORKFLOW_RUN): its canvas with each step's status, where it
 * waits or failed, and its outputs. A run this console's key started (here, with `wr workflow run` or the SDK) goes
 * on from here: a transfer that waits takes its blob from the page, as `wr workflow resume RUN --blob FILE` does
 * (RESUME_WORKFLOW_RUN, then the steps left); an approved step, or a failed one, is gone on with, or retried.
 */
import { useState, type ChangeEvent, type FormEvent } from 'react';
import type { WorkflowRun } from '@wr/api';
import { asConsoleError, type ConsoleError } from '../api/client.js';
import { WorkflowCanvas, type BoxState } from '../workflows/canvas.js';
import { resumeRun, type RunResult, type StepEvent } from '../workflows/run.js';
import { Badge, ErrorPanel, Facts, Loading, redacted, useLoad, type PageProps } from '../ui.js';

const ARMOR = '-----BEGIN AGE ENCRYPTED FILE-----';

export function RunStatusBadge({ status }: { status: WorkflowRun['status'] }) {
  const tone = status === 'completed' ? 'ok' : status === 'failed' ? 'bad' : status === 'waiting' ? 'warn' : 'info';
  return <Badge tone={tone}>{status}</Badge>;
}

/** A completed run's outputs; sealed ones (a wrapped share, an encrypted identity) as their size only. */
export function RunOutputs({ outputs }: { outputs: Record<string, unknown> }) {
  return (
    <div className="card" role="status" data-testid="run-outcome">
      <h2>
        <Badge tone="ok">completed</Badge> Outputs
      </h2>
      <Facts
        plain
        items={Object.entries(redacted(outputs) as Record<string, unknown>).map(([k, v]) => [
          k,
          <code data-testid={`output-${k}`}>{typeof v === 'string' ? v : JSON.stringify(v)}</code>,
        ])}
      />
    </div>
  );
}

/** Each box's state from the run's record. */
export const boxStates = (run: Pick<WorkflowRun, 'steps'>): Record<string, BoxState> =>
  Object.fromEntries(run.steps.map((s) => [s.stepId, { status: s.status, error: s.error }]));

/** Offers the blob a run waits with (age ciphertext, safe to move) as a file, named as `wr workflow run` names it; never drawn. */
export function SaveBlob({ runId, stepId, blob }: { runId: string; stepId: string; blob: string }) {
  const save = () => {
    const url = URL.createObjectURL(new Blob([blob], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${runId}.${stepId}.age`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };
  return (
    <button type="button" className="button secondary" onClick={save} data-testid="save-blob">
      Save the blob ({blob.length} characters)
    </button>
  );
}

/** The waiting transfer's box: the blob moved out of band, from a file or pasted, handed in. */
function HandIn({ run, busy, onHandIn }: { run: WorkflowRun; busy: boolean; onHandIn: (blob: string) => void }) {
  const [blob, setBlob] = useState('');
  const [file, setFile] = useState<string | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const stepId = run.waitingAt!;
  const fileId = 'blob-file';

  const take = (text: string, from?: string) => {
    setFile(from);
    setBlob(text);
    setProblem(
      text.trim() === '' || text.includes(ARMOR) ? undefined : 'This is no age-armored file: wr workflow run writes one (its first line names the age format)',
    );
  };
  const read = (e: ChangeEvent<HTMLInputElement>) => {
    const f = e.target.files?.[0];
    if (f) void f.text().then((text) => take(text, f.name));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onHandIn(blob);
  };

  return (
    <form className="card hand-in" onSubmit={submit} aria-label={`Hand in the blob for ${stepId}`} data-testid="hand-in">
      <h2>
        <Badge tone="warn">waiting</Badge> Transfer <code>{stepId}</code>
      </h2>
      <p>
        The run waits for the wrapped key share, moved out of band (age-encrypted, safe to move). Choose the file <code>wr workflow run</code> wrote (
        <code>
          {run.runId}.{stepId}.age
        </code>
        ) or paste it. Handing it in goes on with the run from here, as <code>wr workflow resume {run.runId} --blob FILE</code> does.
      </p>
      <div className="fields">
        <div className="field">
          <label htmlFor={fileId}>Blob file</label>
          <input id={fileId} type="file" accept=".age,text/plain" onChange={read} disabled={busy} />
        </div>
        <div className="field">
          <label htmlFor="blob-text">Or paste it</label>
          {file ? (
            <p className="muted" data-testid="blob-chosen">
              {file}: ‹sealed, {blob.length} characters›{' '}
              <button type="button" className="button secondary small" onClick={() => take('')}>
                Clear
              </button>
            </p>
          ) : (
            <textarea
              id="blob-text"
              rows={4}
              spellCheck={false}
              autoComplete="off"
              placeholder="the age-armored file, as wr workflow run wrote it"
              value={blob}
              onChange={(e) => take(e.target.value)}
              disabled={busy}
            />
          )}
        </div>
      </div>
      {problem && (
        <p className="error-inline" role="alert">
          {problem}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="button primary" disabled={busy || problem !== undefined || blob.trim() === ''}>
          {busy ? 'Handing in…' : 'Hand in and go on'}
        </button>
      </div>
    </form>
  );
}

type Drive = { busy: boolean; result?: RunResult; error?: ConsoleError };

export function WorkflowRunPage({ client, go, runId }: PageProps & { runId: string }) {
  const [loaded, reload] = useLoad(() => client.call('GET_WORKFLOW_RUN', { runId }), [client, runId]);
  // The record as it stood after this page last drove the run (a reload would blank the canvas while it loads).
  const [after, setAfter] = useState<WorkflowRun | undefined>();
  const [live, setLive] = useState<Record<string, BoxState>>({});
  const [drive, setDrive] = useState<Drive | undefined>();
  // The run's secret inputs (an age identity), which its record never holds: typed again to go on, sealed before sent.
  const [secrets, setSecrets] = useState<Record<string, string>>({});

  const run = after ?? (loaded.state === 'ok' ? loaded.value : undefined);
  const goOn = (blob?: string) => {
    setLive({});
    setDrive({ busy: true });
    const onStep = (e: StepEvent) => setLive((s) => ({ ...s, [e.stepId]: { status: e.status, error: e.error } }));
    const settle = (d: Drive) => {
      setSecrets({});
      return client.call('GET_WORKFLOW_RUN', { runId }).then(
        (record) => {
          setAfter(record);
          setLive({});
          setDrive(d);
        },
        () => setDrive(d),
      );
    };
    const secretInputs = Object.fromEntries(Object.entries(secrets).filter(([, v]) => v !== ''));
    resumeRun(client, runId, { ...(blob !== undefined && { blob }), secretInputs, onStep }).then(
      (result) => settle({ busy: false, result }),
      (err: unknown) => settle({ busy: false, error: asConsoleError(err) }),
    );
  };

  const back = (
    <a
      href="/workflows"
      onClick={(e) => {
        e.preventDefault();
        go('/workflows');
      }}
    >
      ← Workflows
    </a>
  );
  if (!run) {
    return (
      <section aria-labelledby="run-title">
        <p className="crumbs">{back}</p>
        <header className="page-head">
          <h1 id="run-title">Workflows</h1>
        </header>
        {loaded.state === 'loading' && <Loading what={`run ${runId}`} />}
        {loaded.state === 'error' && <ErrorPanel error={loaded.error} onRetry={reload} />}
      </section>
    );
  }

  const mine = run.createdBy === client.apiKeyId;
  const waitingStep = run.steps.find((s) => s.stepId === run.waitingAt);
  const busy = drive?.busy === true;
  const states = { ...boxStates(run), ...live };
  const waitingBlob = drive?.result?.status === 'waiting' && drive.result.waitingAt === run.waitingAt ? drive.result.blob : undefined;

  return (
    <section aria-labelledby="run-title">
      <p className="crumbs">{back}</p>
      <header className="page-head">
        <h1 id="run-title">Workflows</h1>
        <button type="button" className="button secondary" onClick={() => (setAfter(undefined), reload())} disabled={busy}>
          Refresh
        </button>
      </header>
      <h2 className="run-title">
        Run <code data-testid="run-id">{run.runId}</code> <span data-testid="run-status">{<RunStatusBadge status={busy ? 'running' : run.status} />}</span>
      </h2>
      <Facts
        items={[
          ['Workflow', <code>{run.workflow}</code>],
          ['Started by', <code>{mine ? `${run.createdBy} (this console)` : run.createdBy}</code>],
          ['Started', new Date(run.createdAt).toLocaleString()],
          ['Updated', new Date(run.updatedAt).toLocaleString()],
          ['Inputs', <code>{Object.keys(run.inputs).length ? JSON.stringify(redacted(run.inputs)) : 'none'}</code>],
        ]}
      />
      <WorkflowCanvas definition={run.definition} states={states} />
      {drive?.error && <ErrorPanel error={drive.error} />}
      {!mine && run.status !== 'completed' && (
        <p className="banner banner-info" role="status" data-testid="not-mine">
          This run was started by <code>{run.createdBy}</code>, and only that key moves it on (the workspace records a run&apos;s steps as its creator&apos;s
          calls): <code>wr workflow resume {run.runId}</code> with that key, or sign this console in as it (<code>wr console</code> prints the link).
        </p>
      )}
      {mine && run.status !== 'completed' && Object.values(run.definition.inputs).some((i) => i.secret) && (
        <div className="card" role="group" aria-label="Secret inputs">
          <h2>Secret inputs</h2>
          <p className="muted small">
            The run&apos;s record never holds these: give them again to go on. An identity is sealed to the nodes before it is sent.
          </p>
          <div className="fields">
            {Object.entries(run.definition.inputs)
              .filter(([, i]) => i.secret)
              .map(([name, i]) => (
                <div className="field" key={name}>
                  <label htmlFor={`secret-${name}`}>{name}</label>
                  <input
                    id={`secret-${name}`}
                    type="password"
                    autoComplete="off"
                    value={secrets[name] ?? ''}
                    onChange={(e) => setSecrets((s) => ({ ...s, [name]: e.target.value }))}
                    disabled={busy}
                    aria-describedby={i.description ? `secret-${name}-help` : undefined}
                  />
                  {i.description && (
                    <p className="help" id={`secret-${name}-help`}>
                      {i.description}
                    </p>
                  )}
                </div>
              ))}
          </div>
        </div>
      )}
      {mine && !busy && run.status === 'waiting' && waitingStep?.component === 'transfer' && (
        <>
          {waitingBlob !== undefined && (
            <div className="banner banner-warn" role="status">
              Move this blob out of band, then hand it in below.
              <div className="actions">
                <SaveBlob runId={run.runId} stepId={waitingStep.stepId} blob={waitingBlob} />
              </div>
            </div>
          )}
          <HandIn run={run} busy={busy} onHandIn={goOn} />
        </>
      )}
      {mine && !busy && run.status === 'waiting' && waitingStep?.component !== 'transfer' && (
        <div className="banner banner-warn" role="status">
          <Badge tone="warn">waiting</Badge> Step <code>{run.waitingAt}</code> waits for the approvals the network&apos;s policy requires (request{' '}
          <code>{run.approvalRequestId?.slice(0, 20)}…</code>, on the Approvals page). Once admins approve it:{' '}
          <button type="button" className="button primary small" onClick={() => goOn()}>
            Go on
          </button>
        </div>
      )}
      {mine && !busy && (run.status === 'failed' || run.status === 'running') && (
        <div className={`banner ${run.status === 'failed' ? 'banner-bad' : 'banner-info'}`} role="status">
          {run.status === 'failed' && run.error ? (
            <>
              Step <code>{run.failedAt}</code> failed with <code className="code">{run.error.code}</code> {run.error.message}.{' '}
            </>
          ) : (
            <>The record has a step under way: its caller may have stopped. </>
          )}
          <button type="button" className="button primary small" onClick={() => goOn()}>
            {run.status === 'failed' ? 'Retry from that step' : 'Go on'}
          </button>
        </div>
      )}
      {run.status === 'completed' && run.outputs && <RunOutputs outputs={run.outputs} />}
    </section>
  );
}
