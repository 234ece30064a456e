import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { WrError } from '@wr/common';
import { TEMPLATES, type RunResult, type WorkflowDefinition } from 'caller-sdk';
import { clientFor, globalOptions } from './context.js';
import { collect, readInput } from './options.js';
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

export function registerWorkflowCommands(program: Command): void {
  const workflow = program.command('workflow').description('workflows as data: the seed’s canvas and other templates, run as your signed calls');

  workflow
    .command('templates')
    .description('the built-in workflows and their inputs')
    .action((_opts: unknown, cmd: Command) => {
      if (globalOptions(cmd).json) return void process.stdout.write(JSON.stringify(TEMPLATES, null, 2) + '\n');
      for (const t of Object.values(TEMPLATES)) {
        const inputs = Object.entries(t.inputs).map(([n, i]) => `${n}${i.optional ? '?' : ''}`);
        process.stdout.write(
          `${t.name}  (${inputs.join(', ')})\n  ${t.description ?? ''}\n  ${t.steps.map((s) => ('transfer' in s ? '[transfer]' : s.component)).join(' → ')}\n`,
        );
      }
    });

  workflow
    .command('run')
    .description('run a template or a definition file step by step; rerun with the same --run-id to resume (steps done are replayed, never repeated)')
    .argument('<workflow>', `a template (${Object.keys(TEMPLATES).join(', ')}) or a JSON definition file`)
    .option('--input <name=value>', 'a workflow input; repeat for more', collect, [])
    .option('--run-id <id>', 'names the run, to resume it later (default: a fresh one)')
    .option('--blob <step=file>', 'hand in the blob a waiting transfer step carries (the file the run wrote, once moved)', collect, [])
    .option('--blob-out <file>', 'where a waiting transfer writes its blob (default: <run id>.<step>.age, mode 0600)')
    .addHelpText(
      'after',
      '\nExample (the seed’s canvas, out of band):\n  wr workflow run export-import-key-share --input keyId=key_... --run-id move-1\n' +
        '  wr workflow run export-import-key-share --input keyId=key_... --run-id move-1 --blob transfer=move-1.transfer.age',
    )
    .action(async (name: string, opts: { input: string[]; runId?: string; blob: string[]; blobOut?: string }, cmd: Command) => {
      const def = definitionOf(name);
      const json = globalOptions(cmd).json;
      const transfers: Record<string, string> = {};
      for (const b of opts.blob) {
        const at = b.indexOf('=');
        if (at < 1) throw new WrError('INVALID_ARGUMENT', `--blob ${b}: expected step=file`, { param: 'blob' });
        transfers[b.slice(0, at)] = readInput(b.slice(at + 1), '--blob').toString('utf8');
      }
      const runId = opts.runId ?? `run-${Date.now().toString(36)}`;
      const result: RunResult = await clientFor(cmd).workflows.run(def, parseInputs(def, opts.input), {
        runId,
        transfers,
        onStep: (e) => {
          if (json || e.status === 'running') return;
          const mark = e.status === 'done' ? 'ok     ' : e.status === 'waiting' ? 'waiting' : 'FAILED ';
          process.stderr.write(`${mark} ${e.stepId.padEnd(16)} ${e.component}${e.error ? `  ${e.error.code}: ${e.error.message}` : ''}\n`);
        },
      });
      if (result.status === 'waiting') {
        const file = opts.blobOut ?? `${runId}.${result.waitingAt}.age`;
        writeOutput(file, result.blob);
        if (json) return void process.stdout.write(JSON.stringify({ runId, status: 'waiting', waitingAt: result.waitingAt, blobFile: file }, null, 2) + '\n');
        process.stdout.write(
          `run ${runId} waits at ${result.waitingAt}: its blob (age-encrypted, safe to move) is in ${file}\n` +
            `hand it in with: wr workflow run ${name} ${opts.input.map((i) => `--input ${i} `).join('')}--run-id ${runId} --blob ${result.waitingAt}=${file}\n`,
        );
        return;
      }
      if (json) return void process.stdout.write(JSON.stringify({ runId, status: 'completed', outputs: result.outputs }, null, 2) + '\n');
      const shown = Object.entries(result.outputs).map(([k, v]) => [
        k,
        typeof v === 'string' && v.length > 100 ? `${v.slice(0, 60)}… (--json shows it whole)` : String(v),
      ]);
      process.stdout.write(`run ${runId} completed\n` + keyValues(shown as [string, string][]));
    });
}
