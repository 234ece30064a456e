import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { WrError } from '@wr/common';
import { ComponentModule, TEMPLATES, type RunResult, type StepEvent, type WorkflowDefinition, type WorkflowRun } from 'caller-sdk';
import { table } from '../output.js';
import { clientFor, globalOptions, printResult } from './context.js';
import { collect, integer, readInput } from './options.js';
import { writeOutput } from './output-file.js';
import { keyValues } from './render.js';

/** `k=v` inputs; a value that reads as an integer or a boolean is one when the workflow's input takes that type. */
function parseInputs(def: WorkflowDefinition, pairs: string[]): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new WrError('INVALID_ARGUMENT', `--input ${pair}: expected name=value`, { param: 'input' });
    const name = pair.slice(0, at);
    const raw = pair.slice(at + 1);
    const type = def.inputs[name]?.type;
    inputs[name] = type === 'integer' && /^-?\d+$/.test(raw) ? Number(raw) : type === 'boolean' && /^(true|false)$/.test(raw) ? raw === 'true' : raw;
  }
  return inputs;
}

function definitionOf(nameOrFile: string): WorkflowDefinition {
  const template = TEMPLATES[nameOrFile];
  if (template) return template;
  let text: string;
  try {
    text = readFileSync(nameOrFile, 'utf8');
  } catch {
    throw new WrError('INVALID_ARGUMENT', `${nameOrFile}: not a template (${Object.keys(TEMPLATES).join(', ')}) nor a readable definition file`, {
      param: 'workflow',
    });
  }
  try {
    return JSON.parse(text) as WorkflowDefinition;
  } catch {
    throw new WrError('INVALID_ARGUMENT', `${nameOrFile}: not JSON`, { param: 'workflow' });
  }
}

/** Each step as it ends, waits or fails, on stderr (stdout keeps the result). */
const showStep = (json: boolean | undefined) => (e: StepEvent) => {
  if (json || e.status === 'running') return;
  const mark = e.status === 'done' ? 'ok     ' : e.status === 'waiting' ? 'waiting' : 'FAILED ';
  process.stderr.write(`${mark} ${e.stepId.padEnd(16)} ${e.component}${e.error ? `  ${e.error.code}: ${e.error.message}` : ''}\n`);
};

/** Where a run ended: its outputs, or where it waits and what hands it on. */
function report(cmd: Command, runId: string, result: RunResult, blobOut: string | undefined): void {
  const json = globalOptions(cmd).json;
  if (result.status === 'waiting' && result.approvalRequestId !== undefined) {
    const waiting = { runId, status: 'waiting', waitingAt: result.waitingAt, approvalRequestId: result.approvalRequestId };
    if (json) return void process.stdout.write(JSON.stringify(waiting, null, 2) + '\n');
    process.stdout.write(
      `run ${runId} waits at ${result.waitingAt} for approvals of ${result.approvalRequestId}\n` +
        `once admins approve it (wr approvals approve ${result.approvalRequestId}), go on with: wr workflow resume ${runId}\n`,
    );
    return;
  }
  if (result.status === 'waiting') {
    const file = blobOut ?? `${runId}.${result.waitingAt}.age`;
    writeOutput(file, result.blob ?? '');
    if (json) return void process.stdout.write(JSON.stringify({ runId, status: 'waiting', waitingAt: result.waitingAt, blobFile: file }, null, 2) + '\n');
    process.stdout.write(
      `run ${runId} waits at ${result.waitingAt}: its blob (age-encrypted, safe to move) is in ${file}\n` +
        `hand it in with: wr workflow resume ${runId} --blob ${file}\n`,
    );
    return;
  }
  if (json) return void process.stdout.write(JSON.stringify({ runId, status: 'completed', outputs: result.outputs }, null, 2) + '\n');
  process.stdout.write(`run ${runId} completed\n` + outputLines(result.outputs));
}

function outputLines(outputs: Record<string, unknown>): string {
  const shown = Object.entries(outputs).map(([k, v]) => [
    k,
    typeof v === 'string' && v.length > 100 ? `${v.slice(0, 60)}… (--json shows it whole)` : String(v),
  ]);
  return keyValues(shown as [string, string][]);
}

function describeRun(run: WorkflowRun): string {
  const where = run.waitingAt
    ? ` at ${run.waitingAt}${run.approvalRequestId ? ` (approval ${run.approvalRequestId})` : ''}`
    : run.failedAt
      ? ` at ${run.failedAt}`
      : '';
  const lines = [
    `run ${run.runId}  ${run.workflow}  ${run.status}${where}`,
    `created ${run.createdAt} by ${run.createdBy}, updated ${run.updatedAt}`,
    ...(run.error ? [`error ${run.error.code}: ${run.error.message}`] : []),
    '',
    table(
      ['STEP', 'COMPONENT', 'STATUS', 'ERROR'],
      run.steps.map((s) => [s.stepId, s.component, s.status, s.error ? `${s.error.code}: ${s.error.message}` : '']),
    ).trimEnd(),
  ];
  return lines.join('\n') + '\n' + (run.outputs ? '\noutputs\n' + outputLines(run.outputs) : '');
}

export function registerWorkflowCommands(program: Command): void {
  const workflow = program
    .command('workflow')
    .description('workflows as data: the seed’s canvas and other templates, run as your signed calls; the workspace keeps each run’s record');

  workflow
    .command('templates')
    .description('the built-in workflows and their inputs')
    .action((_opts: unknown, cmd: Command) => {
      if (globalOptions(cmd).json) return void process.stdout.write(JSON.stringify(TEMPLATES, null, 2) + '\n');
      for (const t of Object.values(TEMPLATES)) {
        const inputs = Object.entries(t.inputs).map(([n, i]) => `${n}${i.optional ? '?' : ''}${i.secret ? ' (secret)' : ''}`);
        process.stdout.write(
          `${t.name}  (${inputs.join(', ')})\n  ${t.description ?? ''}\n  ${t.steps.map((s) => ('transfer' in s ? '[transfer]' : s.component)).join(' → ')}\n`,
        );
      }
    });

  workflow
    .command('run')
    .description('record a run of a template or a definition file with the workspace, then run its steps one by one (CREATE_WORKFLOW_RUN)')
    .argument('<workflow>', `a template (${Object.keys(TEMPLATES).join(', ')}) or a JSON definition file`)
    .option('--input <name=value>', 'a workflow input; repeat for more', collect, [])
    .option('--run-id <id>', 'names the run (default: a fresh one); the same id with the same inputs goes on with that run')
    .option('--blob-out <file>', 'where a waiting transfer writes its blob (default: <run id>.<step>.age, mode 0600)')
    .addHelpText(
      'after',
      '\nExample (the seed’s canvas, out of band):\n  wr workflow run export-import-key-share --input keyId=key_... --run-id move-1\n' +
        '  wr workflow resume move-1 --blob move-1.transfer.age',
    )
    .action(async (name: string, opts: { input: string[]; runId?: string; blobOut?: string }, cmd: Command) => {
      const def = definitionOf(name);
      const runId = opts.runId ?? `run-${Date.now().toString(36)}`;
      const client = clientFor(cmd);
      const inputs = parseInputs(def, opts.input);
      const onStep = showStep(globalOptions(cmd).json);
      const run = TEMPLATES[name] ? client.workflows.run(name, inputs, { runId, onStep }) : client.workflows.run(def, inputs, { runId, onStep });
      report(cmd, runId, await run, opts.blobOut);
    });

  workflow
    .command('resume')
    .description('go on with a run from where its record stands: hand in a waiting transfer’s blob, take an approved step, retry a failed one')
    .argument('<runId>', 'the run')
    .option('--blob <file>', 'the blob the waiting transfer step carries (the file the run wrote, once moved)')
    .option('--step <stepId>', 'the transfer step the blob is for (default: the one the run waits at)')
    .option('--input <name=value>', 'a secret input of the run (never recorded); repeat for more', collect, [])
    .option('--blob-out <file>', 'where a transfer that waits next writes its blob')
    .action(async (runId: string, opts: { blob?: string; step?: string; input: string[]; blobOut?: string }, cmd: Command) => {
      const client = clientFor(cmd);
      const record = await client.workflows.get(runId);
      const result = await client.workflows.resume(runId, {
        ...(opts.blob !== undefined && { blob: readInput(opts.blob, '--blob').toString('utf8') }),
        ...(opts.step !== undefined && { stepId: opts.step }),
        secretInputs: parseInputs(record.definition, opts.input),
        onStep: showStep(globalOptions(cmd).json),
      });
      report(cmd, runId, result, opts.blobOut);
    });

  workflow
    .command('list')
    .description('workflow runs, newest first (LIST_WORKFLOW_RUNS)')
    .option('--status <status>', 'only runs that are running, waiting, completed or failed')
    .option('--limit <n>', 'at most this many', integer(1, 1000), 100)
    .action(async (opts: { status?: WorkflowRun['status']; limit: number }, cmd: Command) => {
      const result = await clientFor(cmd)
        .call(ComponentModule.LIST_WORKFLOW_RUNS, { limit: opts.limit, ...(opts.status && { status: opts.status }) })
        .promise();
      printResult(cmd, result, () =>
        result.runs.length === 0
          ? 'no workflow runs yet: wr workflow run TEMPLATE starts one\n'
          : table(
              ['RUN', 'WORKFLOW', 'STATUS', 'AT', 'UPDATED'],
              result.runs.map((r) => [r.runId, r.workflow, r.status, r.waitingAt ?? r.failedAt ?? '', r.updatedAt]),
            ),
      );
    });

  workflow
    .command('show')
    .description('one run: each step and its status, where it waits or failed, its outputs (GET_WORKFLOW_RUN)')
    .argument('<runId>', 'the run')
    .action(async (runId: string, _opts: unknown, cmd: Command) => {
      const run = await clientFor(cmd).workflows.get(runId);
      printResult(cmd, run, () => describeRun(run));
    });
}
