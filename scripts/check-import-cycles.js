#!/usr/bin/env node
// Fails (exit 1) on an import cycle, printing each one. Two graphs are checked:
//  - modules: every packages/*/src/**/*.ts and the relative imports between them.
//    `import type` counts too (a cycle of types is still two files that cannot be
//    understood one without the other); such edges print as `-(type)->`;
//  - packages: the workspace packages, with an edge for each workspace package a
//    package.json depends on and each one its src imports.
// Imports are read with TypeScript's parser, so comments and strings that look like
// imports are ignored.
//
//   node scripts/check-import-cycles.js                 every import counts
//   node scripts/check-import-cycles.js --runtime-only  ignore `import type` / `export type` edges
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

const ts = createRequire(import.meta.url)('typescript');
const root = new URL('..', import.meta.url).pathname;
const rel = (p) => relative(root, p);

function tsFilesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFilesUnder(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The module specifiers a file imports or re-exports, each with whether it is for types only. */
function importsOf(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out = [];
  const typeOnlyNames = (elements) => elements !== undefined && elements.length > 0 && elements.every((e) => e.isTypeOnly);
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && typeOnlyNames(named)));
      out.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      out.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly || typeOnlyNames(named) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [specifier] = node.arguments;
      if (specifier && ts.isStringLiteral(specifier)) out.push({ specifier: specifier.text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** The .ts file a relative specifier names (`./x.js` is `./x.ts` under NodeNext), or undefined. */
function resolveRelative(from, specifier) {
  const base = resolve(dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base + '.ts', join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** Every cycle in `graph` (Map node → Set of nodes), each once, as [a, b, …, a]. */
function findCycles(graph) {
  const cycles = new Map();
  const state = new Map(); // undefined: unseen, 1: on the stack, 2: done
  const stack = [];
  const visit = (node) => {
    state.set(node, 1);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 1) {
        const cycle = stack.slice(stack.indexOf(next));
        // The same cycle can be met from any of its nodes: key it by its smallest rotation.
        const start = cycle.indexOf([...cycle].sort()[0]);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(rotated.join('\0'), [...rotated, rotated[0]]);
      } else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 2);
  };
  for (const node of [...graph.keys()].sort()) if (state.get(node) === undefined) visit(node);
  return [...cycles.values()];
}

const runtimeOnly = process.argv.includes('--runtime-only');
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const packages = rootManifest.workspaces.map((dir) => {
  const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  return { dir: join(root, dir), name: manifest.name, manifest };
});
const byName = new Map(packages.map((p) => [p.name, p]));
/** The workspace package a bare specifier names (`@wr/common`, `caller-sdk/x`), or undefined. */
const workspacePackageOf = (specifier) => {
  const parts = specifier.split('/');
  return byName.get(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
};

const modules = new Map();
const typeOnlyEdges = new Set(); // `from\0to` for module edges made only of type imports
const packageGraph = new Map(packages.map((p) => [p.name, new Set()]));
for (const pkg of packages) {
  const m = pkg.manifest;
  for (const dep of Object.keys({ ...m.dependencies, ...m.devDependencies, ...m.peerDependencies, ...m.optionalDependencies })) {
    if (byName.has(dep)) packageGraph.get(pkg.name).add(dep);
  }
  for (const file of tsFilesUnder(join(pkg.dir, 'src'))) {
    const edges = new Set();
    const runtimeTargets = new Set();
    for (const { specifier, typeOnly } of importsOf(file)) {
      if (runtimeOnly && typeOnly) continue;
      if (specifier.startsWith('.')) {
        const target = resolveRelative(file, specifier);
        if (!target) continue;
        edges.add(rel(target));
        if (!typeOnly) runtimeTargets.add(rel(target));
      } else {
        const target = workspacePackageOf(specifier);
        if (target && target.name !== pkg.name) packageGraph.get(pkg.name).add(target.name);
      }
    }
    modules.set(rel(file), edges);
    for (const target of edges) if (!runtimeTargets.has(target)) typeOnlyEdges.add(`${rel(file)}\0${target}`);
  }
}

const showModuleCycle = (c) => c.map((m, i) => (i === 0 ? m : `${typeOnlyEdges.has(`${c[i - 1]}\0${m}`) ? '-(type)->' : '->'} ${m}`)).join(' ');

const moduleCycles = findCycles(modules);
const packageCycles = findCycles(packageGraph);
for (const c of moduleCycles) console.error(`module import cycle: ${showModuleCycle(c)}`);
for (const c of packageCycles) console.error(`package dependency cycle: ${c.join(' -> ')}`);
if (moduleCycles.length || packageCycles.length) process.exit(1);
console.log(`no import cycles${runtimeOnly ? ' (type imports ignored)' : ''}: ${modules.size} modules, ${packages.length} packages`);
