// caller-sdk as a user gets it: `npm pack`, installed into an empty project,
// imported and used there. It must pull in nothing that only servers need.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';

const root = new URL('../../../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'wr-sdk-pack-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const manifest = (pkg: string) => JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8')) as Record<string, unknown>;

it('depends only on packages that can be published', () => {
  const deps = Object.keys((manifest('caller-sdk')['dependencies'] ?? {}) as Record<string, string>);
  for (const dep of deps.filter((d) => d.startsWith('@wr/'))) {
    const m = manifest(dep.slice('@wr/'.length));
    assert.notEqual(m['private'], true, `${dep} is private`);
    const theirs = Object.keys((m['dependencies'] ?? {}) as Record<string, string>).filter((d) => d.startsWith('@wr/'));
    assert.ok(
      theirs.every((d) => deps.includes(d)),
      `${dep} pulls in ${theirs.join(', ')}`,
    );
  }
});

it('installs from its packed tarballs into an empty project and works there', () => {
  const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  npm(
    ['pack', '--silent', '--pack-destination', dir, '-w', 'packages/common', '-w', 'packages/api', '-w', 'packages/workflow', '-w', 'packages/caller-sdk'],
    root,
  );
  const tarballs = readdirSync(dir).filter((f) => f.endsWith('.tgz'));
  assert.equal(tarballs.length, 4);
  for (const t of tarballs) {
    const files = execFileSync('tar', ['tzf', join(dir, t)], { encoding: 'utf8' }).split('\n');
    assert.ok(!files.some((f) => f.includes('/test/')), `${t} ships no tests`);
  }
  const app = join(dir, 'app');
  execFileSync('mkdir', [app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs.map((t) => join(dir, t))], app);

  const installed = readdirSync(join(app, 'node_modules', '@wr'));
  assert.deepEqual(installed.sort(), ['api', 'common', 'workflow'], 'no server package comes with the SDK');
  for (const serverOnly of ['better-sqlite3', 'fastify'])
    assert.ok(!readdirSync(join(app, 'node_modules')).includes(serverOnly), `${serverOnly} is not installed`);

  writeFileSync(
    join(app, 'use.js'),
    `import { WorkspaceClient, WorkspaceError, generateApiKey, ComponentModule } from 'caller-sdk';
const { apiKey, apiKeyId } = await generateApiKey();
const client = new WorkspaceClient({ apiKey, baseUrl: 'http://127.0.0.1:9', retryWindowMs: 0 });
try {
  await client.call(ComponentModule.LIST_KEYS, {}).promise();
} catch (err) {
  console.log(JSON.stringify({ apiKeyId, isWorkspaceError: err instanceof WorkspaceError, code: err.code }));
}`,
  );
  const out = JSON.parse(execFileSync(process.execPath, ['use.js'], { cwd: app, encoding: 'utf8' })) as {
    apiKeyId: string;
    isWorkspaceError: boolean;
    code: string;
  };
  assert.match(out.apiKeyId, /^ak_[a-z2-7]{16}$/);
  assert.equal(out.isWorkspaceError, true);
  assert.equal(out.code, 'WORKSPACE_UNAVAILABLE', 'an unreachable workspace is reported with its own code (NODE_UNAVAILABLE is for a node)');
});
