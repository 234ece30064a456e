import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, SHARED } from './network.js';

/** The seed document's text, as the user wrote it. */
export function seedDocument(): string {
  return readFileSync(join(SHARED, 'seed', 'export-import-key-share.md'), 'utf8');
}

/** The seed's main TypeScript example: from its import line to the last saveKeyId. */
export function seedExample(): string {
  const doc = seedDocument();
  const start = doc.indexOf("import { WorkspaceClient, ComponentModule } from 'caller-sdk';");
  const endMarker = 'await db.saveKeyId(newKeyId);';
  const end = doc.indexOf(endMarker) + endMarker.length;
  if (start < 0 || end < endMarker.length) throw new Error('the seed example was not found in the seed document');
  return doc.slice(start, end);
}

/** The seed's rewrap snippet. */
export function seedRewrapSnippet(): string {
  const doc = seedDocument();
  const start = doc.indexOf('// Re-encrypt from old identity to new identity');
  const endMarker = '// Now encrypted to the new identity — import or store as needed';
  const end = doc.indexOf(endMarker) + endMarker.length;
  if (start < 0 || end < endMarker.length) throw new Error('the rewrap snippet was not found in the seed document');
  return doc.slice(start, end);
}

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
      compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'out', types: ['node'], skipLibCheck: false },
      files: ['example.ts'],
    }),
  );
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'lib', 'tsc.js'), '-p', dir], { encoding: 'utf8' });
  if (tsc.status !== 0) return { stdout: tsc.stdout, stderr: `type-check failed:\n${tsc.stdout}${tsc.stderr}`, status: tsc.status };
  const run = spawnSync(process.execPath, [join(dir, 'out', 'example.js')], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { stdout: run.stdout, stderr: run.stderr, status: run.status };
}
