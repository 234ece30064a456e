import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from '@wr/cli/test-network';

/** The project's shared folder, beside the repository (the seed is read where it is: the example must follow it as written). */
const SHARED = join(ROOT, '..', 'shared');

/** The seed document's text, as the user wrote it. */
export function seedDocument(): string {
  return readFileSync(join(SHARED, 'seed', 'export-import-key-share.md'), 'utf8');
}

/** The seed's text from `start` through `end`, both included. */
function between(start: string, end: string): string {
  const doc = seedDocument();
  const from = doc.indexOf(start);
  const to = doc.indexOf(end, from);
  if (from < 0 || to < 0) throw new Error(`the seed document no longer holds "${start}" ... "${end}"`);
  return doc.slice(from, to + end.length);
}

/** The seed's main TypeScript example: from its import line to the last saveKeyId. */
export const seedExample = () => between("import { WorkspaceClient, ComponentModule } from 'caller-sdk';", 'await db.saveKeyId(newKeyId);');

/** The seed's rewrap snippet. */
export const seedRewrapSnippet = () =>
  between('// Re-encrypt from old identity to new identity', '// Now encrypted to the new identity — import or store as needed');

/**
 * Compiles a TypeScript module under `strict` against caller-sdk's published
 * types (its .d.ts files, as a user would get them), then runs it.
 */
export function compileAndRun(dir: string, source: string, env: Record<string, string>): { stdout: string; stderr: string; status: number | null } {
  writeFileSync(join(dir, 'example.ts'), source);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        outDir: 'out',
        types: ['node'],
        skipLibCheck: false,
      },
      files: ['example.ts'],
    }),
  );
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'lib', 'tsc.js'), '-p', dir], { encoding: 'utf8' });
  if (tsc.status !== 0) return { stdout: tsc.stdout, stderr: `type-check failed:\n${tsc.stdout}${tsc.stderr}`, status: tsc.status };
  const run = spawnSync(process.execPath, [join(dir, 'out', 'example.js')], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { stdout: run.stdout, stderr: run.stderr, status: run.status };
}
