/**
 * Workflows on the real network, with their durable records in the workspace:
 * the seed's canvas as the `export-import-key-share` template waits at the
 * transfer and finishes when the blob is handed in, giving a keyId that signs
 * with an original share; `wr workflow run|resume|list|show` drive and show a
 * run; a run whose workspace is SIGKILLed mid-step completes exactly once (the
 * SDK retries under the same idempotency keys); a step the policy holds for
 * approvals makes the run wait until an admin approves; and the record never
 * holds a secret input nor share material.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateIdentity, unwrap } from '@wr/age';
import { ComponentModule, TEMPLATES, WorkspaceClient, generateApiKey, type ComponentParams, type ComponentResult, type StepEvent } from 'caller-sdk';
import { ROOT, startTestNetwork, type TestNetwork } from '@wr/cli/test-network';

let net: TestNetwork;
let key: ComponentResult<'CREATE_KEY'>;

before(async () => {
  net = await startTestNetwork('workflow');
  key = await net.client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2', 'node-3'] }).promise();
});
after(() => net?.cleanup());

const importsOf = async (publicKey: string) =>
  (await net.client.call(ComponentModule.LIST_AUDIT_EVENTS, { limit: 1000 }).promise()).events.filter(
    (e) => e.action === 'share.import' && e.details['publicKey'] === publicKey && e.details['alreadyPresent'] === false,
  ).length;

/** The imports a node's own audit log records: it logs an import only when it stores a new share. */
const nodeImportsOf = async (nodeId: string, publicKey: string) =>
  (await net.client.call(ComponentModule.LIST_AUDIT_EVENTS, { nodeId, limit: 1000 }).promise()).events.filter(
    (e) => e.action === 'share.import' && e.details['publicKey'] === publicKey,
  ).length;

const sharesOn = async (nodeId: string, publicKey: string) =>
  (await net.client.call(ComponentModule.LIST_KEYS, { nodeId, limit: 1000 }).promise()).keys.filter((k) => k.publicKey === publicKey);

const wr = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'packages', 'cli', 'bin', 'wr.js'), 'workflow', ...args], {
    env: { ...process.env, WR_BASE_URL: net.baseUrl, WR_API_KEY: net.apiKey, WR_ADMIN_PUBLIC_KEY: net.adminPublicKey },
    encoding: 'utf8',
    cwd: net.home,
  });

test('the seed canvas: recorded, waits at the transfer, finishes when the blob is handed in, and the new share signs', async () => {
  const events: StepEvent[] = [];
  const source = key.shares[0]!;
  const handle = net.client.workflows.run('export-import-key-share', { keyId: source.keyId }, { runId: 'seed-1', onStep: (e) => events.push(e) });
  assert.equal(handle.runId, 'seed-1');
  const first = await handle;
  assert.equal(first.status, 'waiting');
  assert.ok(first.status === 'waiting' && first.blob?.startsWith('-----BEGIN AGE ENCRYPTED FILE-----'));
  assert.deepEqual(
    events.filter((e) => e.status !== 'running').map((e) => `${e.stepId}:${e.status}`),
    ['recipient:done', 'backupIdentity:done', 'export:done', 'transfer:waiting'],
  );
  const waiting = await handle.get();
  assert.equal(waiting.status, 'waiting');
  assert.equal(waiting.waitingAt, 'transfer');
  assert.equal(waiting.createdBy, net.client.apiKeyId);
  assert.deepEqual(
    waiting.steps.map((s) => `${s.stepId}:${s.component}:${s.status}`),
    [
      'recipient:GET_NODE_RECIPIENT_KEY:done',
      'backupIdentity:GENERATE_AGE_ENCRYPTION:done',
      'export:EXPORT_KEY_SHARE:done',
      'transfer:transfer:waiting',
      'import:IMPORT_KEY_SHARE:pending',
    ],
  );

  const before = await importsOf(key.publicKey);
  const blob = first.status === 'waiting' ? first.blob! : '';
  const done = await net.client.workflows.resume('seed-1', { blob });
  assert.equal(done.status, 'completed');
  const outputs = done.status === 'completed' ? done.outputs : {};
  assert.match(String(outputs['keyId']), /^key_[0-9a-z]{26}$/);
  assert.equal(outputs['nodeId'], net.defaultTargetNode);
  assert.match(String(outputs['backupPublicKey']), /^age1/);
  assert.equal(await importsOf(key.publicKey), before + 1, 'one import');

  const record = await net.client.workflows.get('seed-1');
  assert.equal(record.status, 'completed');
  assert.deepEqual(record.outputs, outputs, 'the workspace resolves the outputs from its record');
  assert.ok(record.steps.every((s) => s.status === 'done'));

  // Run again by its id: every step replays; nothing runs twice, and the record stays completed.
  const again = await net.client.workflows.run('export-import-key-share', { keyId: source.keyId }, { runId: 'seed-1' });
  assert.deepEqual(again.status === 'completed' && again.outputs, outputs);
  assert.equal(await importsOf(key.publicKey), before + 1, 'still one import');
  assert.equal((await net.client.workflows.get('seed-1')).status, 'completed');
  // The same runId with another request is refused.
  await assert.rejects(net.client.workflows.run('export-import-key-share', { keyId: key.shares[1]!.keyId }, { runId: 'seed-1' }).result(), {
    code: 'CONFLICT',
  });

  // CREATE_WORKFLOW_RUN checks what it records, naming the step or input at fault.
  const create = (params: ComponentParams<'CREATE_WORKFLOW_RUN'>) => net.client.call(ComponentModule.CREATE_WORKFLOW_RUN, params).promise();
  const mismatched = structuredClone(TEMPLATES['export-import-key-share']!);
  (mismatched.steps[2] as { params: Record<string, unknown> }).params['keyId'] = { const: true };
  await assert.rejects(create({ definition: mismatched, inputs: { keyId: 'key_x' } }), { code: 'INVALID_ARGUMENT', param: 'steps.export.params.keyId' });
  await assert.rejects(create({ template: 'export-import-key-share', definition: mismatched, inputs: {} }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(create({ template: 'export-import-key-share', inputs: { keyId: 7 } }), { code: 'INVALID_ARGUMENT', param: 'inputs.keyId' });
  await assert.rejects(create({ template: 'no-such-template', inputs: {} }), { code: 'INVALID_ARGUMENT', param: 'template' });
  await assert.rejects(net.client.workflows.get('no-such-run'), { code: 'NOT_FOUND' });

  const sig = await net.client.call(ComponentModule.SIGN, { keyIds: [String(outputs['keyId']), key.shares[1]!.keyId], message: 'c0ffee' }).promise();
  assert.equal(sig.publicKey, key.publicKey, 'the moved share signs with an original one');
});

test('wr workflow run shows each step and waits; resume --blob finishes it; list and show report it', async () => {
  const other = await net.client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise();
  const keyId = other.shares[0]!.keyId;
  const first = wr('run', 'export-import-key-share', '--input', `keyId=${keyId}`, '--run-id', 'cli-1');
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /ok +recipient +GET_NODE_RECIPIENT_KEY\n.*ok +export +EXPORT_KEY_SHARE\nwaiting transfer/s);
  assert.match(
    first.stdout,
    /run cli-1 waits at transfer: its blob .* is in cli-1\.transfer\.age\nhand it in with: wr workflow resume cli-1 --blob cli-1\.transfer\.age/,
  );

  const shown = wr('show', 'cli-1');
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /run cli-1 +export-import-key-share +waiting at transfer/);
  assert.match(shown.stdout, /export +EXPORT_KEY_SHARE +done/);
  assert.match(shown.stdout, /import +IMPORT_KEY_SHARE +pending/);

  const second = wr('resume', 'cli-1', '--blob', 'cli-1.transfer.age', '--json');
  assert.equal(second.status, 0, second.stderr);
  const out = JSON.parse(second.stdout) as { status: string; outputs: { keyId: string } };
  assert.equal(out.status, 'completed');
  assert.match(out.outputs.keyId, /^key_/);

  const listed = wr('list');
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /cli-1 +export-import-key-share +completed/);
  const json = JSON.parse(wr('list', '--status', 'completed', '--json').stdout) as { runs: { runId: string }[] };
  assert.equal(json.runs[0]!.runId, 'cli-1', 'newest first');
  assert.match(wr('show', 'cli-1').stdout, /completed[\s\S]*outputs[\s\S]*keyId +key_/);

  const unknown = wr('show', 'no-such-run');
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /NOT_FOUND: runId: no workflow run no-such-run/);
  const bad = wr('run', 'export-import-key-share', '--input', 'keyId=key_x', '--input', 'colour=red');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /INVALID_ARGUMENT: inputs\.colour/);
});

test('a run whose workspace is SIGKILLed mid-step resumes under the same idempotency keys and imports exactly once', async (t) => {
  const victim = await net.client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise();
  const target = net.defaultTargetNode;
  assert.equal((await sharesOn(target, victim.publicKey)).length, 0);
  const client = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, retryWindowMs: 60_000, timeoutMs: 10_000 });
  // The workspace dies once its record says the import runs: the call is inside the workspace, on its way to the node.
  const db = new Database(join(net.home, '.wr', 'workspace', 'workspace.db'), { readonly: true, fileMustExist: true });
  const importRuns = () => {
    const row = db.prepare("SELECT steps FROM workflow_runs WHERE run_id = 'killed-1'").get() as { steps: string } | undefined;
    return row !== undefined && (JSON.parse(row.steps) as Record<string, { status: string }>)['import']?.status === 'running';
  };
  let killed = false;
  let sawRunning = false;
  let doneAfterKill = false;
  let restarted: Promise<void> | undefined;
  const run = client.workflows.run(
    'export-import-key-share',
    { keyId: victim.shares[0]!.keyId, targetNodeId: target },
    {
      runId: 'killed-1',
      onStep: (e) => {
        if (e.stepId === 'import' && e.status === 'done') doneAfterKill = killed;
        if (e.stepId !== 'import' || e.status !== 'running' || restarted) return;
        restarted = (async () => {
          const until = Date.now() + 5_000;
          while (!importRuns() && Date.now() < until) await new Promise((r) => setTimeout(r, 1));
          sawRunning = importRuns();
          killed = true;
          await net.killWorkspace('SIGKILL');
          await net.startWorkspace();
        })();
      },
    },
  );
  const result = await run;
  await restarted;
  db.close();
  assert.ok(sawRunning, 'the record said the import ran when the workspace was killed');
  assert.ok(doneAfterKill, 'the import step ended only after the workspace was killed: it died mid-step');
  assert.equal(result.status, 'completed');
  const held = await sharesOn(target, victim.publicKey);
  assert.equal(held.length, 1, `${target} holds exactly one imported share`);
  assert.equal(held[0]!.keyId, result.status === 'completed' ? result.outputs.keyId : '');
  assert.equal(await nodeImportsOf(target, victim.publicKey), 1, `${target}'s audit log shows one import`);
  const relayed = (await net.client.call(ComponentModule.LIST_AUDIT_EVENTS, { limit: 1000 }).promise()).events.filter(
    (e) => e.action === 'share.import' && e.details['publicKey'] === victim.publicKey,
  );
  assert.ok(relayed.length >= 1 && relayed.filter((e) => e.details['alreadyPresent'] === false).length <= 1, 'the workspace relayed at most one new import');
  t.diagnostic(`imports the workspace recorded: ${relayed.map((e) => (e.details['alreadyPresent'] ? 'already present' : 'new')).join(', ')}`);
  const record = await client.workflows.get('killed-1');
  assert.equal(record.status, 'completed');
  assert.equal(record.steps.find((s) => s.stepId === 'import')!.status, 'done');
  assert.equal(record.outputs?.['keyId'], held[0]!.keyId);
});

test('a step that fails leaves the run failed there with its code; the same runId re-runs from that step and completes', async () => {
  // A body the component refuses (a malformed keyId) fails the step too, with its code.
  const escrow = await generateIdentity('x25519');
  await assert.rejects(net.client.workflows.run('backup-to-escrow', { keyId: 'key_nope', escrowRecipient: escrow.recipient }, { runId: 'bad-1' }).result(), {
    code: 'INVALID_ARGUMENT',
  });
  const bad = await net.client.workflows.get('bad-1');
  assert.deepEqual([bad.status, bad.failedAt, bad.error?.code], ['failed', 'export', 'INVALID_ARGUMENT']);
  assert.ok(bad.steps[0]!.error?.hint, 'the step error carries its hint');

  const moving = await net.client.call(ComponentModule.CREATE_KEY, { scheme: 'frost-ed25519', threshold: 2, nodeIds: ['node-1', 'node-2'] }).promise();
  const inputs = { keyId: moving.shares[0]!.keyId, targetNodeId: 'node-3' };
  const once = new WorkspaceClient({ apiKey: net.apiKey, baseUrl: net.baseUrl, retryWindowMs: 0 });
  await net.killNode('node-3');
  try {
    await assert.rejects(once.workflows.run('migrate-node', inputs, { runId: 'retry-1' }).result(), { code: 'NODE_UNAVAILABLE' });
  } finally {
    await net.startNode('node-3');
  }
  const failed = await net.client.workflows.get('retry-1');
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error?.code, 'NODE_UNAVAILABLE');
  const at = failed.steps.findIndex((s) => s.stepId === failed.failedAt);
  assert.ok(at >= 0 && failed.steps.slice(0, at).every((s) => s.status === 'done') && failed.steps.slice(at + 1).every((s) => s.status === 'pending'));

  const events: StepEvent[] = [];
  const done = await net.client.workflows.run('migrate-node', inputs, { runId: 'retry-1', onStep: (e) => events.push(e) });
  assert.equal(done.status, 'completed');
  assert.equal((await net.client.workflows.get('retry-1')).status, 'completed');
  assert.equal((await sharesOn('node-3', moving.publicKey)).length, 1, 'node-3 holds the moved share once');
  assert.equal(await nodeImportsOf('node-3', moving.publicKey), 1);
  assert.equal((await sharesOn('node-1', moving.publicKey)).length, 0, 'the old node no longer holds it');
  assert.deepEqual(
    events.filter((e) => e.status === 'done').map((e) => e.stepId),
    ['recipient', 'export', 'import', 'retire'],
  );
});

test('a step the policy holds for approvals makes the run wait; once approved, resume takes its result and completes', async () => {
  const approver = generateApiKey();
  await net.client.call(ComponentModule.CREATE_API_KEY, { name: 'approver', scopes: ['admin'], publicKey: approver.publicKey }).promise();
  await net.client.call(ComponentModule.SET_POLICY, { approvals: [{ component: 'EXPORT_KEY_SHARE', approvals: 1 }] }).promise();
  try {
    const escrow = await generateIdentity('x25519');
    const first = await net.client.workflows.run('backup-to-escrow', { keyId: key.shares[2]!.keyId, escrowRecipient: escrow.recipient }, { runId: 'held-1' });
    assert.equal(first.status, 'waiting');
    const approvalRequestId = first.status === 'waiting' ? first.approvalRequestId! : '';
    assert.match(approvalRequestId, /^apr_[0-9a-f]{64}$/);
    const waiting = await net.client.workflows.get('held-1');
    assert.deepEqual([waiting.status, waiting.waitingAt, waiting.approvalRequestId], ['waiting', 'export', approvalRequestId]);

    // Not approved yet: resuming still waits.
    const still = await net.client.workflows.resume('held-1');
    assert.equal(still.status, 'waiting');

    await new WorkspaceClient({ apiKey: approver.apiKey, baseUrl: net.baseUrl }).call(ComponentModule.APPROVE_REQUEST, { approvalRequestId }).promise();
    const done = await net.client.workflows.resume('held-1');
    assert.equal(done.status, 'completed');
    const wrapped = done.status === 'completed' ? String(done.outputs['wrappedKeyShare']) : '';
    const envelope = JSON.parse(new TextDecoder().decode(await unwrap(wrapped, { identities: [escrow.identity.expose()] }))) as { identifier: string };
    assert.equal(envelope.identifier, key.shares[2]!.identifier, 'the approved export is the run’s output');
    const record = await net.client.workflows.get('held-1');
    assert.equal(record.status, 'completed');
    assert.equal(record.steps[0]!.approvalRequestId, approvalRequestId);
  } finally {
    await net.client.call(ComponentModule.SET_POLICY, { approvals: [] }).promise();
  }
  // Resumed again once the policy is gone: the step's outcome is the approved request's, not a new export.
  const exports = async () =>
    (await net.client.call(ComponentModule.LIST_AUDIT_EVENTS, { limit: 1000 }).promise()).events.filter((e) => e.action === 'share.export').length;
  const before = await exports();
  const again = await net.client.workflows.resume('held-1');
  assert.equal(again.status, 'completed');
  assert.equal(await exports(), before, 'no second export');
});

test('the run record never holds a secret input nor share material', async () => {
  const old = await generateIdentity('x25519');
  const fresh = await generateIdentity('x25519');
  const exported = await net.client.call(ComponentModule.EXPORT_KEY_SHARE, { keyId: key.shares[1]!.keyId, ageRecipient: old.recipient }).promise();
  const inputs = { wrappedKeyShare: exported.wrappedKeyShare, ageIdentity: old.identity.expose(), newRecipient: fresh.recipient };
  await assert.rejects(
    net.client.call(ComponentModule.CREATE_WORKFLOW_RUN, { template: 'rewrap-for-identity-rotation', inputs, runId: 'leaky' }).promise(),
    { code: 'INVALID_ARGUMENT', param: 'inputs.ageIdentity' },
    'the workspace refuses a secret input',
  );
  const done = await net.client.workflows.run('rewrap-for-identity-rotation', inputs, { runId: 'rewrap-1' });
  assert.equal(done.status, 'completed');
  const record = await net.client.workflows.get('rewrap-1');
  assert.deepEqual(Object.keys(record.inputs).sort(), ['newRecipient', 'wrappedKeyShare']);
  assert.equal(record.status, 'completed');

  const rewrapped = done.status === 'completed' ? done.outputs.rewrappedKeyShare : '';
  const share = JSON.parse(new TextDecoder().decode(await unwrap(rewrapped, { identities: [fresh.identity.expose()] }))) as { signingShare: string };
  assert.match(share.signingShare, /^[0-9a-f]{64}$/);
  const dbFile = join(net.home, '.wr', 'workspace', 'workspace.db');
  const bytes = Buffer.concat([dbFile, `${dbFile}-wal`].filter(existsSync).map((f) => readFileSync(f)));
  assert.ok(bytes.length > 0);
  const secretBody = old.identity.expose().replace(/^AGE-SECRET-KEY-1/, '');
  for (const [what, secret] of [
    ['the age identity', old.identity.expose()],
    ['the age identity, lower case', old.identity.expose().toLowerCase()],
    ['the identity body', secretBody],
    ['the signing share, hex', share.signingShare],
    ['the signing share, bytes', Buffer.from(share.signingShare, 'hex')],
  ] as const) {
    assert.equal(bytes.indexOf(secret), -1, `workspace.db holds ${what}`);
  }
  assert.notEqual(bytes.indexOf('rewrap-1'), -1, 'the scan reads the run record');
});
