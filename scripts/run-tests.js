#!/usr/bin/env node
// Runs the test files (packages/*/test/**/*.test.ts, test/*.test.ts) from their compiled copies with node's test runner.
// The list comes from the sources, so a deleted test's stale compiled file never runs; a source whose compiled
// file is missing stops the run. Node 20's runner takes no globs, so the files are listed here.
// An argument keeps only the files whose path contains it: `node scripts/run-tests.js crypto`.
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
// Each project compiles <project>/<dir>/x.ts to <project>/dist/<dir>/x.js (rootDir ".", outDir "dist").
const projects = [...readdirSync(join(root, 'packages')).map((p) => ({ dir: join(root, 'packages', p), sub: 'test' })), { dir: join(root, 'test'), sub: '' }];

function walk(dir, top) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'dist' || name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return top ? [] : walk(path, false);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

// test/ holds its tests at the top (test/support is helpers); packages/*/test may nest them.
const compiled = (project, src) => join(project, 'dist', relative(project, src).replace(/\.ts$/, '.js'));
const sources = projects.flatMap((p) => walk(join(p.dir, p.sub), p.sub === '').map((src) => ({ src, out: compiled(p.dir, src) })));
const only = process.argv.slice(2);
const chosen = sources.filter(({ src, out }) => only.length === 0 || only.some((o) => relative(root, src).includes(o) || relative(root, out).includes(o)));
if (chosen.length === 0) {
  console.error(`no test files${only.length ? ` match ${only.join(', ')}` : ''}`);
  process.exit(1);
}
const missing = chosen.filter(({ out }) => !existsSync(out));
if (missing.length > 0) {
  const lines = missing.map(({ src, out }) => `  ${relative(root, src)} -> ${relative(root, out)}`);
  console.error(`compiled test files missing (run \`npm run build\`):\n${lines.join('\n')}`);
  process.exit(1);
}
const files = chosen.map(({ out }) => out);
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=600000', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
