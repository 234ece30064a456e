/**
 * The web console in Debian's Chromium (playwright-core drives /usr/bin/chromium; no browser is downloaded),
 * against `wr dev` run as a user runs it: sign in from the dev link, see every node and a new key, run the seed's
 * canvas and watch every box go green, approve a pending export in the page, read the audit log and its chain
 * check, sign out; then a run started with `wr workflow run` that waits at its transfer, opened in the console
 * signed in as the key that started it, finished by handing the blob in on the page. No console message of level
 * error and no page error may appear, and no secret may be rendered. Screenshots of each page go to
 * test-artifacts/console/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ComponentModule, WorkspaceClient, generateApiKey, type ComponentResult } from 'caller-sdk';
import { ERROR_CODES } from '@wr/common';
import { CONSOLE_CALLS, CONSOLE_SCOPES } from '@wr/cli';
import { ROOT, scratchDir } from '@wr/cli/test-network';
import { wr } from '@wr/cli/test-wr';

const WR = join(ROOT, 'packages', 'cli', 'bin', 'wr.js');
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-artifacts', 'console');

let dir: string;
let dev: ChildProcess;
let env: Record<string, string>;
let admin: WorkspaceClient;
let browser: Browser;
let page: Page;
let key: ComponentResult<'CREATE_KEY'>;
const problems: string[] = [];

/** `wr dev` on free ports, up once it says so; its dev.env read as a user's shell would. */
async function startDev(): Promise<void> {
  dev = spawn(process.execPath, [WR, 'dev', '--dir', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  dev.stdout!.on('data', (d) => (out += d));
  dev.stderr!.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => out.includes('Press Ctrl-C to stop.') && (clearInterval(timer), resolve()), 50);
    dev.once('exit', (code) => (clearInterval(timer), reject(new Error(`wr dev exited (${code}):\n${out}`))));
  });
  env = Object.fromEntries(
    readFileSync(join(dir, 'dev.env'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  assert.ok(out.includes(env['WR_CONSOLE_URL']!), 'wr dev prints the console link it writes to dev.env');
}

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const go = async (title: string) => {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: title }).click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
};

/** Nothing secret on the page: no API key, no seed from the link, no share, identity, or ciphertext of one. */
async function assertNothingSecret(...keys: string[]): Promise<void> {
  const html = await page.content();
  for (const secret of [env['WR_API_KEY']!, ...keys]) assert.ok(!html.includes(secret), 'the page renders no API key nor sign-in seed');
  for (const secret of ['BEGIN AGE ENCRYPTED FILE', 'AGE-SECRET-KEY']) assert.ok(!html.includes(secret), `the page renders no ${secret}`);
}

/** Drops the browser's own log lines for answers of this HTTP status (an error the page shows is expected); fails on anything else. */
function expectOnly(status: number, since: number): void {
  const seen = problems.splice(since);
  const expected = new RegExp(`^console: Failed to load resource: the server responded with a status of ${status}`);
  assert.ok(
    seen.every((p) => expected.test(p)),
    seen.join('\n'),
  );
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  mkdirSync(SHOTS, { recursive: true });
  dir = scratchDir('console');
  await startDev();
  admin = new WorkspaceClient({ apiKey: env['WR_API_KEY']!, baseUrl: env['WR_BASE_URL']!, adminPublicKey: env['WR_ADMIN_PUBLIC_KEY']! });
  key = await admin.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
});

after(async () => {
  await browser?.close();
  if (dev && dev.exitCode === null) {
    const exited = new Promise((res) => dev.once('exit', res));
    dev.kill('SIGTERM');
    await exited;
  }
  if (dir && !process.env['WR_KEEP_TEST_FILES']) rmSync(dir, { recursive: true, force: true });
});

test('the workspace serves the console: content types, CSP, caching, index.html for its paths, 404 for the API', async () => {
  const base = env['WR_BASE_URL']!;
  const index = await fetch(`${base}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type')!, /^text\/html/);
  assert.match(index.headers.get('content-security-policy')!, /default-src 'self'/);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  const html = await index.text();
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(script, 'index.html loads a hashed script');
  const js = await fetch(base + script);
  assert.match(js.headers.get('content-type')!, /^text\/javascript/);
  assert.match(js.headers.get('cache-control')!, /immutable/);
  const deep = await fetch(`${base}/approvals`);
  assert.equal(deep.status, 200);
  assert.equal(await deep.text(), html, 'a console path answers index.html');
  const api = await fetch(`${base}/v1/nowhere`);
  assert.equal(api.status, 404);
  assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
  assert.equal((await fetch(`${base}/assets/gone-0000.js`)).status, 404, 'a missing asset is not the page');
});

test('the console: sign in from the dev link, nodes, keys, the seed canvas run, an approval, the audit log, sign out', async () => {
  const link = env['WR_CONSOLE_URL']!;
  const [, apiKeyId, seed] = /#signin=(ak_[a-z2-7]{16})\.([A-Za-z0-9_-]+)$/.exec(link) ?? [];
  assert.ok(apiKeyId && seed, `WR_CONSOLE_URL is a sign-in link: ${link.replace(/\..*$/, '...')}`);

  // Sign-in: the key is taken from the fragment, which then leaves the address bar.
  await page.goto(link);
  await page.getByTestId('api-key-id').waitFor();
  assert.equal(await page.getByTestId('api-key-id').textContent(), apiKeyId);
  assert.equal(new URL(page.url()).hash, '', 'the sign-in fragment is removed from the URL');

  // Nodes: every node, up.
  await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor();
  for (const id of ['node-1', 'node-2', 'node-3', 'node-4']) {
    await page.getByTestId(`node-${id}`).getByText('up', { exact: true }).waitFor();
  }
  await page.getByTestId('roster-fingerprint').waitFor();
  // Each node's TLS certificate as the signed roster pins it (wr dev's nodes run on mutual TLS).
  for (const id of ['node-1', 'node-2', 'node-3', 'node-4']) {
    await page
      .getByTestId(`tls-${id}`)
      .getByText(/^[0-9a-f]{16}…[0-9a-f]{16}$/)
      .waitFor();
  }
  await assertNothingSecret(seed);
  await shot('nodes');

  // The key stays signed in across a reload (IndexedDB keeps the non-extractable key).
  await page.reload();
  await page.getByTestId('api-key-id').waitFor();

  // Keys: the new key's three shares, each on its node.
  await go('Keys');
  for (const s of key.shares) await page.getByTestId('share-key-id').getByText(s.keyId, { exact: true }).waitFor();
  const card = page.getByTestId('key-card').filter({ hasText: key.shares[0]!.keyId });
  await card.getByRole('button', { name: /^Show backups/ }).click();
  await card.getByText(/^No backups/).waitFor();
  await assertNothingSecret(seed);
  await shot('keys');

  // Workflows: the seed's canvas, run from the template form with a target node, every box goes green.
  await go('Workflows');
  const steps = ['recipient', 'backupIdentity', 'export', 'transfer', 'import'];
  for (const s of steps) assert.equal(await page.getByTestId(`step-${s}`).getAttribute('data-status'), 'pending');
  await page.getByTestId('step-export').getByText('EXPORT_KEY_SHARE').waitFor();
  await shot('workflows-before');
  const source = key.shares.find((s) => s.nodeId === 'node-1')!;
  await page.getByLabel(/^keyId/).fill(source.keyId);
  await page.getByLabel(/^targetNodeId/).fill('node-4');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  for (const s of steps) await page.locator(`[data-testid="step-${s}"][data-status="done"]`).waitFor({ timeout: 60_000 });
  const moved = (await page.getByTestId('output-keyId').textContent())!;
  assert.match(moved, /^key_[0-9a-z]{26}$/);
  assert.equal(await page.getByTestId('output-nodeId').textContent(), 'node-4');
  await assertNothingSecret(seed);
  await shot('workflows');
  // The run was real: the moved share signs with an original one.
  const sig = await admin.call(ComponentModule.SIGN, { keyIds: [moved, key.shares[1]!.keyId], message: 'c0ffee' }).promise();
  assert.equal(sig.publicKey, key.publicKey);
  // And durable: the workspace recorded the console's run, every step done.
  const { runs } = await admin.call(ComponentModule.LIST_WORKFLOW_RUNS, {}).promise();
  const recorded = runs.find((r) => r.createdBy === apiKeyId);
  assert.equal(recorded?.workflow, 'export-import-key-share');
  assert.equal(recorded?.status, 'completed', 'the workspace recorded every step of the console run');

  // Approvals: a policy holds exports for one approval; the admin's export waits until the console approves it.
  await admin.call(ComponentModule.SET_POLICY, { approvals: [{ component: 'EXPORT_KEY_SHARE', approvals: 1 }] }).promise();
  try {
    const { recipientKey } = await admin.call(ComponentModule.GET_NODE_RECIPIENT_KEY, { nodeId: 'node-4' }).promise();
    const pending = await admin
      .call(ComponentModule.REQUEST_APPROVAL, { component: 'EXPORT_KEY_SHARE', params: { keyId: key.shares[1]!.keyId, ageRecipient: recipientKey } })
      .promise();
    assert.equal(pending.status, 'pending');
    await go('Approvals');
    const card = page.getByTestId('approval').filter({ hasText: pending.approvalRequestId.slice(0, 20) });
    await card.getByText('pending, 0 of 1').waitFor();
    await shot('approvals-pending');
    await card.getByRole('button', { name: /^Approve EXPORT_KEY_SHARE/ }).click();
    await card.getByTestId('approval-status').getByText('executed').waitFor({ timeout: 60_000 });
    const done = await admin.call(ComponentModule.GET_APPROVAL_REQUEST, { approvalRequestId: pending.approvalRequestId }).promise();
    assert.equal(done.status, 'executed');
    assert.deepEqual(done.approvedBy, [apiKeyId], 'approved by the console key');
    assert.match(String((done.result as { wrappedKeyShare?: string }).wrappedKeyShare), /BEGIN AGE ENCRYPTED FILE/, 'the export ran');
    await assertNothingSecret(seed);
    await shot('approvals');
  } finally {
    await admin.call(ComponentModule.SET_POLICY, { approvals: [] }).promise();
  }

  // Audit log: the chain verifies, and the export and import are there.
  await go('Audit log');
  await page.getByTestId('audit-verify').getByText('chain verified').waitFor();
  await page.getByRole('cell', { name: 'share.import' }).first().waitFor();
  await assertNothingSecret(seed);
  await shot('audit');

  // An error is shown with its code and hint, on the failed box and on the page. (The browser logs the 404 answer
  // as a console error of its own; only that one is let through below.)
  const before404 = problems.length;
  await go('Workflows');
  await page.getByLabel(/^keyId/).fill('key_' + 'a'.repeat(26));
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.locator('[data-testid="step-export"][data-status="failed"]').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('step-export').locator('code').textContent(), 'NOT_FOUND');
  const alert = page.getByRole('alert');
  await alert.getByText('NOT_FOUND', { exact: true }).waitFor();
  await alert.getByText(/^Check the id: `wr keys list`/).waitFor();
  assert.equal(await page.getByTestId('step-import').getAttribute('data-status'), 'pending', 'the run stops at the failed step');
  await shot('workflows-failed');
  expectOnly(404, before404);

  // Without a target node the transfer waits for the out-of-band hand-over, and says so.
  await page.getByLabel(/^keyId/).fill(key.shares[2]!.keyId);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.locator('[data-testid="step-transfer"][data-status="waiting"]').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('step-export').getAttribute('data-status'), 'done');
  assert.equal(await page.getByTestId('step-import').getAttribute('data-status'), 'pending');
  await page.getByTestId('run-outcome').getByText('waiting', { exact: true }).waitFor();
  await assertNothingSecret(seed);
  await shot('workflows-waiting');
  // The blob to move out of band is offered as a file, named as `wr workflow run` names it, and never drawn.
  const runId = (await page.getByTestId('run-id').textContent())!;
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-blob').click()]);
  assert.equal(download.suggestedFilename(), `${runId}.transfer.age`);
  assert.match(readFileSync((await download.path())!, 'utf8'), /^-----BEGIN AGE ENCRYPTED FILE-----/);

  // Keyboard: the first Tab reaches the skip link, which moves focus to the page's content.
  await page.goto(`${env['WR_BASE_URL']}/nodes`);
  await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate('document.activeElement?.id'), 'main');

  // Sign out forgets the key: a reload stays signed out.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
  await shot('signed-out');

  assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
});

test('the console key has exactly the scopes of the calls the console makes, admin among them for approvals and the audit log', async () => {
  // Every call in the console's source, and the approval calls a workflow step makes through @wr/workflow.
  const sources = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(d, e.name)) : /\.tsx?$/.test(e.name) ? [join(d, e.name)] : []));
  const made = new Set<string>();
  for (const file of [...sources(join(ROOT, 'packages', 'console', 'src')), join(ROOT, 'packages', 'workflow', 'src', 'client-steps.ts')]) {
    for (const m of readFileSync(file, 'utf8').matchAll(/call\(\s*'([A-Z_]+)'/g)) made.add(m[1]!);
  }
  assert.deepEqual([...made].sort(), [...CONSOLE_CALLS].sort(), 'CONSOLE_CALLS lists every call the console makes, and only those');
  const { apiKeys } = await admin.call(ComponentModule.LIST_API_KEYS, {}).promise();
  const consoleKey = apiKeys.find((k) => k.name === 'console (wr dev)' && !k.revoked);
  assert.deepEqual([...consoleKey!.scopes].sort(), [...CONSOLE_SCOPES].sort());
  for (const scope of ['keys:create', 'keys:sign']) assert.ok(!consoleKey!.scopes.includes(scope), `the console key lacks ${scope}`);
});

test('a run `wr workflow run` left waiting at its transfer: the console opens it, takes the blob, its canvas goes green, the moved share signs', async () => {
  const base = env['WR_BASE_URL']!;
  // A key on the three nodes other than the default target, which a transfer without a target node imports into.
  const { nodeId: target } = await admin.call(ComponentModule.GET_NODE_RECIPIENT_KEY, {}).promise();
  const nodeIds = ['node-1', 'node-2', 'node-3', 'node-4'].filter((n) => n !== target);
  const moving = await admin.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds }).promise();
  // An operator's key with the console's scopes but admin: the run is its, so it moves the run on wherever it signs.
  const operator = generateApiKey();
  const scopes = CONSOLE_SCOPES.filter((s) => s !== 'admin');
  await admin.call(ComponentModule.CREATE_API_KEY, { name: 'operator (console test)', scopes, publicKey: operator.publicKey }).promise();

  const blobFile = join(dir, 'cli-move.transfer.age');
  const cli = await wr(
    ['workflow', 'run', 'export-import-key-share', '--input', `keyId=${moving.shares[0]!.keyId}`, '--run-id', 'cli-move', '--blob-out', blobFile],
    {
      env: { WR_BASE_URL: base, WR_API_KEY: operator.apiKey, WR_ADMIN_PUBLIC_KEY: env['WR_ADMIN_PUBLIC_KEY']! },
    },
  );
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /run cli-move waits at transfer/);
  assert.match(readFileSync(blobFile, 'utf8'), /^-----BEGIN AGE ENCRYPTED FILE-----/);

  // `wr console` prints the link that signs the console in as the key in use: the runs it started are its own there.
  const signIn = await wr(['console', '--json'], { env: { WR_BASE_URL: base, WR_API_KEY: operator.apiKey } });
  assert.equal(signIn.code, 0, signIn.stderr);
  const { apiKeyId: shown, url } = JSON.parse(signIn.stdout) as { apiKeyId: string; url: string };
  assert.equal(shown, operator.apiKeyId);
  const seed = /#signin=ak_[a-z2-7]{16}\.([A-Za-z0-9_-]{43})$/.exec(url)?.[1];
  assert.ok(seed && url.startsWith(`${base}/#signin=${operator.apiKeyId}.`), 'a sign-in link for the operator key');
  await page.goto(url);
  await page.getByTestId('api-key-id').waitFor();
  assert.equal(await page.getByTestId('api-key-id').textContent(), operator.apiKeyId);

  // Least privilege shows: a page whose calls need a scope this key lacks says which, with the code and its hint.
  const before403 = problems.length;
  await go('Audit log');
  await page.getByTestId('scope-refused').first().getByText('admin', { exact: true }).waitFor();
  const refused = page.getByRole('alert').first();
  await refused.getByText('PERMISSION_DENIED', { exact: true }).waitFor();
  await refused.getByText(ERROR_CODES.PERMISSION_DENIED.hint).waitFor();
  await assertNothingSecret(seed, operator.apiKey);
  await shot('audit-scope-refused');
  expectOnly(403, before403);

  // The run is listed with its status; its page shows the canvas where the record stands, and the transfer's box.
  await go('Workflows');
  const row = page.getByTestId('run-cli-move');
  await row.getByText('waiting', { exact: true }).waitFor();
  await assertNothingSecret(seed, operator.apiKey);
  await shot('workflows-runs');
  // A run another key started is shown where it stands, and says that only that key moves it on.
  const others = page.getByTestId('runs').getByRole('row').filter({ hasText: 'waiting' }).filter({ hasNotText: 'this console' });
  await others.first().getByRole('link').click();
  await page.getByTestId('not-mine').waitFor();
  assert.equal(await page.getByTestId('hand-in').count(), 0, 'no hand-in for a run of another key');
  await assertNothingSecret(seed, operator.apiKey);
  await shot('workflow-run-not-mine');
  await page.getByRole('link', { name: '← Workflows' }).click();
  await row.getByRole('link', { name: 'cli-move' }).click();
  await page.getByTestId('hand-in').waitFor();
  const status = (s: string) => page.getByTestId(`step-${s}`).getAttribute('data-status');
  for (const s of ['recipient', 'backupIdentity', 'export']) assert.equal(await status(s), 'done');
  assert.equal(await status('transfer'), 'waiting');
  assert.equal(await status('import'), 'pending');
  await assertNothingSecret(seed, operator.apiKey);
  await shot('workflow-run-waiting');

  // The blob handed in from its file: RESUME_WORKFLOW_RUN, then the import; every box goes green.
  await page.getByLabel('Blob file').setInputFiles(blobFile);
  await page.getByTestId('blob-chosen').waitFor();
  await assertNothingSecret(seed, operator.apiKey);
  await page.getByRole('button', { name: 'Hand in and go on' }).click();
  for (const s of ['recipient', 'backupIdentity', 'export', 'transfer', 'import']) {
    await page.locator(`[data-testid="step-${s}"][data-status="done"]`).waitFor({ timeout: 60_000 });
  }
  await page.getByTestId('run-status').getByText('completed').waitFor();
  const moved = (await page.getByTestId('output-keyId').textContent())!;
  assert.match(moved, /^key_[0-9a-z]{26}$/);
  assert.equal(await page.getByTestId('output-nodeId').textContent(), target);
  await assertNothingSecret(seed, operator.apiKey);
  await shot('workflow-run-completed');

  const sig = await admin.call(ComponentModule.SIGN, { keyIds: [moved, moving.shares[1]!.keyId], message: 'c0ffee' }).promise();
  assert.equal(sig.publicKey, moving.publicKey, 'the moved share signs with an original one');
  const run = await admin.call(ComponentModule.GET_WORKFLOW_RUN, { runId: 'cli-move' }).promise();
  assert.deepEqual([run.status, run.createdBy, run.outputs?.['keyId']], ['completed', operator.apiKeyId, moved]);
  assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
});

test('served over plain HTTP from a host that is not this one, the console says it needs HTTPS, and why, instead of failing', async () => {
  // The browser reaches this machine's workspace under another name: the page is then not a secure context, where
  // browsers give no WebCrypto (what signs the console's calls).
  const remote = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--host-resolver-rules=MAP ws.example 127.0.0.1'] });
  try {
    const other = await remote.newPage();
    const url = new URL(env['WR_CONSOLE_URL']!);
    url.hostname = 'ws.example';
    await other.goto(url.href);
    await other.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    assert.match((await other.getByRole('alert').textContent()) ?? '', /plain HTTP.*HTTPS, or localhost.*behind TLS/);
  } finally {
    await remote.close();
  }
});
