#!/usr/bin/env node
// Runs every benchmark in bench/dist (or those whose name contains an argument), one after another.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = new URL('../bench/dist', import.meta.url).pathname;
const only = process.argv.slice(2);
// Shared helpers, not benchmarks.
const HELPERS = new Set(['timing.js', 'stats.js']);
const files = existsSync(dir)
  ? readdirSync(dir).filter((f) => f.endsWith('.js') && !HELPERS.has(f) && (only.length === 0 || only.some((o) => f.includes(o))))
  : [];
if (files.length === 0) {
  console.error('no benchmarks found: did the build run?');
  process.exit(1);
}
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f.replace(/\.js$/, '')} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(dir, f)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
