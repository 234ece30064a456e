#!/usr/bin/env node
// Runs every benchmark (bench/*.ts, from its compiled bench/dist/*.js), or those whose name contains an argument, one after another.
// The list comes from the sources, so a deleted benchmark's stale compiled file never runs.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const bench = new URL('../bench', import.meta.url).pathname;
const only = process.argv.slice(2);
// Shared helpers, not benchmarks.
const HELPERS = new Set(['timing.ts', 'stats.ts', 'noble.ts']);
const names = readdirSync(bench)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !HELPERS.has(f) && (only.length === 0 || only.some((o) => f.includes(o))))
  .map((f) => f.replace(/\.ts$/, ''))
  // The issue's summary table comes last.
  .sort((a, b) => Number(a === 'targets') - Number(b === 'targets'));
if (names.length === 0) {
  console.error(`no benchmarks${only.length ? ` match ${only.join(', ')}` : ''}`);
  process.exit(1);
}
const missing = names.filter((n) => !existsSync(join(bench, 'dist', `${n}.js`)));
if (missing.length > 0) {
  console.error(`compiled benchmarks missing (run \`npm run build\`): ${missing.map((n) => `bench/dist/${n}.js`).join(', ')}`);
  process.exit(1);
}
let failed = 0;
for (const n of names) {
  console.log(`\n=== ${n} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(bench, 'dist', `${n}.js`)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
