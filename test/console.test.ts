/**
 * The web console in Debian's Chromium (playwright-core drives /usr/bin/chromium; no browser is downloaded),
 * against `wr dev` run as a user runs it: sign in from the dev link, see every node and a new key, run the seed's
 * canvas and watch every box go green, approve a pending export in the page, read the audit log and its chain
 * check, sign out. No console message of level error and no page error may appear, and no secret may be rendered.
 * Screenshots of each page go to test-artifacts/console/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ComponentModule, WorkspaceClient, type ComponentResult } from 'caller-sdk';
import { ROOT, scratchDir } from '@wr/cli/test-network';

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
async function assertNothingSecret(seed: string): Promise<void> {
  const html = await page.content();
  for (const secret of [env['WR_API_KEY']!, seed, 'BEGIN AGE ENCRYPTED FILE', 'AGE-SECRET-KEY']) {
    assert.ok(!html.includes(secret), `the page renders no ${secret === seed ? 'sign-in seed' : secret.slice(0, 12)}`);
  }
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
  const expected = problems.splice(before404);
  assert.ok(
    expected.every((p) => /^console: Failed to load resource: the server responded with a status of 404/.test(p)),
    expected.join('\n'),
  );

  // Without a target node the transfer waits for the out-of-band hand-over, and says so.
  await page.getByLabel(/^keyId/).fill(key.shares[2]!.keyId);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.locator('[data-testid="step-transfer"][data-status="waiting"]').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('step-export').getAttribute('data-status'), 'done');
  assert.equal(await page.getByTestId('step-import').getAttribute('data-status'), 'pending');
  await page.getByTestId('run-outcome').getByText('waiting', { exact: true }).waitFor();
  await assertNothingSecret(seed);
  await shot('workflows-waiting');

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
