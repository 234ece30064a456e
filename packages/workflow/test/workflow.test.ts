// The engine on its own: binding and validation against the component schemas,
// and a run's order, resumption by run id, transfer waits and failures. The
// component calls here are a recording table; test/workflow.test.ts runs the
// templates against the real network.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { WrError } from '@wr/common';

import {
  StepWaitsForApproval,
  TEMPLATES,
  callThroughApprovals,
  recordedApprovals,
  recordedTransfers,
  checkInputs,
  keptResult,
  neededOutputs,
  recordedInputs,
  runState,
  runWorkflow,
  stepIdempotencyKey,
  validateWorkflow,
  type StepEvent,
  type WorkflowDefinition,
} from '../src/index.js';

const seed = TEMPLATES['export-import-key-share']!;
const copy = (d: WorkflowDefinition): WorkflowDefinition => JSON.parse(JSON.stringify(d)) as WorkflowDefinition;

function refused(def: unknown, param: RegExp, message: RegExp): void {
  assert.throws(
    () => validateWorkflow(def),
    (e: unknown) => e instanceof WrError && e.code === 'INVALID_ARGUMENT' && param.test(e.param ?? '') && message.test(e.message),
  );
}

describe('validateWorkflow', () => {
  it('accepts every built-in template', () => {
    assert.deepEqual(Object.keys(TEMPLATES).sort(), ['backup-to-escrow', 'export-import-key-share', 'migrate-node', 'rewrap-for-identity-rotation']);
    for (const t of Object.values(TEMPLATES)) assert.equal(validateWorkflow(t), t);
  });

  it('refuses a cycle: a binding to the step itself or a later one', () => {
    const d = copy(seed);
    (d.steps[2] as { params: Record<string, unknown> }).params['ageRecipient'] = { step: 'import', output: 'keyId' };
    refused(d, /^steps\.export\.params\.ageRecipient$/, /does not run before this one.*no cycles/);
    const self = copy(seed);
    (self.steps[2] as { params: Record<string, unknown> }).params['keyId'] = { step: 'export', output: 'wrappedKeyShare' };
    refused(self, /^steps\.export/, /no cycles/);
  });

  it('refuses an unknown output, step, input, component or param', () => {
    const d = copy(seed);
    (d.steps[2] as { params: Record<string, unknown> }).params['ageRecipient'] = { step: 'recipient', output: 'recipient' };
    refused(d, /^steps\.export\.params\.ageRecipient$/, /has no output recipient \(it has nodeId, recipientKey/);
    const noStep = copy(seed);
    noStep.outputs['x'] = { step: 'nowhere', output: 'keyId' };
    refused(noStep, /^outputs\.x$/, /no step nowhere/);
    const noInput = copy(seed);
    (noInput.steps[0] as { params: Record<string, unknown> }).params['nodeId'] = { input: 'node' };
    refused(noInput, /^steps\.recipient\.params\.nodeId$/, /input node is not declared/);
    const noComponent = copy(seed);
    (noComponent.steps[1] as { component: string }).component = 'MINT_MONEY';
    refused(noComponent, /^steps\.backupIdentity$/, /no component MINT_MONEY/);
    const noParam = copy(seed);
    (noParam.steps[1] as { params: Record<string, unknown> }).params['colour'] = { const: 'red' };
    refused(noParam, /^steps\.backupIdentity\.params\.colour$/, /takes no param colour/);
  });

  it('refuses a type mismatch, naming the step', () => {
    const bool = copy(seed);
    (bool.steps[2] as { params: Record<string, unknown> }).params['keyId'] = { const: true };
    refused(bool, /^steps\.export\.params\.keyId$/, /type mismatch: it gets boolean, and EXPORT_KEY_SHARE\.keyId takes string/);
    const missing = copy(seed);
    delete (missing.steps[2] as { params: Record<string, unknown> }).params['keyId'];
    refused(missing, /^steps\.export$/, /needs param keyId/);
  });

  it('refuses a secret input anywhere the run record would keep it: a transfer, a passOnIf, an output', () => {
    const rewrap = TEMPLATES['rewrap-for-identity-rotation']!;
    assert.equal(rewrap.inputs['ageIdentity']!.secret, true, 'the rewrap template keeps its identity out of the record');
    const out = copy(rewrap);
    out.outputs['leak'] = { input: 'ageIdentity' };
    refused(out, /^outputs\.leak$/, /input ageIdentity is secret/);
    const carried = copy(seed);
    carried.inputs['blob'] = { type: 'string', secret: true };
    (carried.steps[3] as { transfer: unknown }).transfer = { input: 'blob' };
    refused(carried, /^steps\.transfer\.transfer$/, /input blob is secret/);
    const passOn = copy(seed);
    passOn.inputs['targetNodeId']!.secret = true;
    refused(passOn, /^steps\.transfer\.passOnIf$/, /input targetNodeId is secret/);
  });

  it('refuses a malformed definition, naming the field', () => {
    refused({ ...seed, steps: [] }, /^definition\.steps$/, /./);
    refused({ ...seed, extra: 1 }, /^definition/, /./);
  });
});

/** A stand-in for the workspace: each idempotency key runs once, and is replayed after. */
function recorder(answers: Record<string, (p: Record<string, unknown>) => Record<string, unknown>>) {
  const done = new Map<string, Record<string, unknown>>();
  const ran: string[] = [];
  return {
    ran,
    call: async (component: string, params: Record<string, unknown>, key: string) => {
      if (!done.has(key)) {
        ran.push(component);
        done.set(key, answers[component]!(params));
      }
      return done.get(key)!;
    },
  };
}

const answers = {
  GET_NODE_RECIPIENT_KEY: (p: Record<string, unknown>) => ({ nodeId: p['nodeId'] ?? 'node-4', recipientKey: 'age1target' }),
  GENERATE_AGE_ENCRYPTION: () => ({ publicKey: 'age1mine', encryptedPrivateKey: 'sealed' }),
  EXPORT_KEY_SHARE: (p: Record<string, unknown>) => ({ wrappedKeyShare: `wrapped ${p['keyId']} to ${p['ageRecipient']}` }),
  IMPORT_KEY_SHARE: (p: Record<string, unknown>) => ({ keyId: 'key_new', nodeId: p['nodeId'], from: p['wrappedKeyShare'] }),
};

describe('runWorkflow', () => {
  it('waits at the transfer, then resumes by run id without running a step twice', async () => {
    const r = recorder(answers);
    const events: StepEvent[] = [];
    const first = await runWorkflow(seed, { keyId: 'key_a' }, { runId: 'run-1', call: r.call, onStep: (e) => events.push(e) });
    assert.equal(first.status, 'waiting');
    assert.equal(first.status === 'waiting' && first.blob, 'wrapped key_a to age1target');
    assert.deepEqual(r.ran, ['GET_NODE_RECIPIENT_KEY', 'GENERATE_AGE_ENCRYPTION', 'EXPORT_KEY_SHARE']);
    assert.deepEqual(events.at(-1), { stepId: 'transfer', component: 'transfer', status: 'waiting' });
    const done = await runWorkflow(seed, { keyId: 'key_a' }, { runId: 'run-1', call: r.call, transfers: { transfer: 'wrapped key_a to age1target' } });
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.status === 'completed' && done.outputs, {
      keyId: 'key_new',
      nodeId: 'node-4',
      backupPublicKey: 'age1mine',
      backupEncryptedPrivateKey: 'sealed',
    });
    assert.deepEqual(r.ran, ['GET_NODE_RECIPIENT_KEY', 'GENERATE_AGE_ENCRYPTION', 'EXPORT_KEY_SHARE', 'IMPORT_KEY_SHARE'], 'the resumed run replays');
    assert.equal(stepIdempotencyKey('run-1', 'export'), 'wf.run-1.export');
  });

  it('passes the blob on at once when a target node is given', async () => {
    const r = recorder(answers);
    const done = await runWorkflow(seed, { keyId: 'key_a', targetNodeId: 'node-2' }, { runId: 'run-2', call: r.call });
    assert.equal(done.status, 'completed');
    assert.equal(done.status === 'completed' && done.steps['import']!['from'], 'wrapped key_a to age1target');
    assert.equal(done.status === 'completed' && done.outputs['nodeId'], 'node-2');
  });

  it('checks inputs, and reports a failed step with its code', async () => {
    const r = recorder(answers);
    await assert.rejects(runWorkflow(seed, {}, { runId: 'run-3', call: r.call }), { code: 'INVALID_ARGUMENT', param: 'inputs.keyId' });
    await assert.rejects(runWorkflow(seed, { keyId: 1 }, { runId: 'run-3', call: r.call }), { param: 'inputs.keyId' });
    await assert.rejects(runWorkflow(seed, { keyId: 'k', other: 1 }, { runId: 'run-3', call: r.call }), { param: 'inputs.other' });
    await assert.rejects(runWorkflow(seed, { keyId: 'k' }, { runId: 'bad id!', call: r.call }), { param: 'runId' });
    const events: StepEvent[] = [];
    const failing = async () => {
      throw new WrError('NOT_FOUND', 'no such key share');
    };
    await assert.rejects(runWorkflow(seed, { keyId: 'k' }, { runId: 'run-4', call: failing, onStep: (e) => events.push(e) }), { code: 'NOT_FOUND' });
    assert.deepEqual(events.at(-1), {
      stepId: 'recipient',
      component: 'GET_NODE_RECIPIENT_KEY',
      status: 'failed',
      error: { code: 'NOT_FOUND', message: 'no such key share' },
    });
  });
});

describe('run records', () => {
  it('keep only the step outputs a binding uses', () => {
    const needed = neededOutputs(seed);
    assert.deepEqual([...needed.get('recipient')!].sort(), ['nodeId', 'recipientKey']);
    assert.deepEqual([...needed.get('export')!], ['wrappedKeyShare']);
    assert.deepEqual(keptResult(seed, 'recipient', { nodeId: 'node-4', recipientKey: 'age1x', roster: { big: true } }), {
      nodeId: 'node-4',
      recipientKey: 'age1x',
    });
    assert.deepEqual(keptResult(seed, 'export', { wrappedKeyShare: 'w', receipt: { sig: 'r' } }), { wrappedKeyShare: 'w' });
  });

  it('say where a run stands: running, waiting at a transfer, failed at a step, completed with outputs', () => {
    assert.equal(runState(seed, { keyId: 'k' }, {}).status, 'running');
    const upToExport = {
      recipient: { status: 'done' as const, result: { nodeId: 'node-4', recipientKey: 'age1t' } },
      backupIdentity: { status: 'done' as const, result: { publicKey: 'age1b', encryptedPrivateKey: 'e' } },
      export: { status: 'done' as const, result: { wrappedKeyShare: 'w' } },
    };
    const waiting = runState(seed, { keyId: 'k' }, upToExport);
    assert.equal(waiting.status, 'waiting');
    assert.equal(waiting.waitingAt, 'transfer');
    assert.deepEqual(
      waiting.steps.map((s) => `${s.stepId}:${s.status}`),
      ['recipient:done', 'backupIdentity:done', 'export:done', 'transfer:waiting', 'import:pending'],
    );
    // Given a target node, the transfer passes the blob on by itself.
    assert.equal(runState(seed, { keyId: 'k', targetNodeId: 'node-4' }, upToExport).status, 'running');
    const failed = runState(
      seed,
      { keyId: 'k' },
      {
        ...upToExport,
        transfer: { status: 'done', result: { blob: 'w' } },
        import: { status: 'failed', error: { code: 'SHARE_STALE', message: 'stale' } },
      },
    );
    assert.deepEqual([failed.status, failed.failedAt, failed.error], ['failed', 'import', { code: 'SHARE_STALE', message: 'stale' }]);
    const approval = runState(seed, { keyId: 'k' }, { ...upToExport, export: { status: 'waiting', approvalRequestId: 'apr_1' } });
    assert.deepEqual([approval.status, approval.waitingAt, approval.approvalRequestId], ['waiting', 'export', 'apr_1']);
    const completed = runState(
      seed,
      { keyId: 'k' },
      {
        ...upToExport,
        transfer: { status: 'done', result: { blob: 'w' } },
        import: { status: 'done', result: { keyId: 'key_new', nodeId: 'node-4' } },
      },
    );
    assert.equal(completed.status, 'completed');
    assert.deepEqual(completed.outputs, { keyId: 'key_new', nodeId: 'node-4', backupPublicKey: 'age1b', backupEncryptedPrivateKey: 'e' });
    assert.equal(completed.steps[3]!.blob, 'w');
  });

  it('never take a secret input: the client keeps it', () => {
    const rewrap = TEMPLATES['rewrap-for-identity-rotation']!;
    const all = { wrappedKeyShare: 'w', ageIdentity: 'AGE-SECRET-KEY-1XYZ', newRecipient: 'age1n' };
    assert.deepEqual(recordedInputs(rewrap, all), { wrappedKeyShare: 'w', newRecipient: 'age1n' });
    checkInputs(rewrap, recordedInputs(rewrap, all), { recorded: true });
    assert.throws(() => checkInputs(rewrap, all, { recorded: true }), { code: 'INVALID_ARGUMENT', param: 'inputs.ageIdentity' });
    assert.throws(() => checkInputs(rewrap, { wrappedKeyShare: 'w' }, { recorded: true }), { param: 'inputs.newRecipient' });
  });

  it('a step held for approvals makes the run wait at it with the request', async () => {
    const r = recorder(answers);
    const events: StepEvent[] = [];
    const call = async (component: string, params: Record<string, unknown>, key: string) => {
      if (component === 'EXPORT_KEY_SHARE') throw new StepWaitsForApproval('apr_7');
      return r.call(component, params, key);
    };
    const result = await runWorkflow(seed, { keyId: 'k' }, { runId: 'run-5', call, onStep: (e) => events.push(e) });
    assert.deepEqual(
      { status: result.status, waitingAt: result.status === 'waiting' && result.waitingAt, approval: result.status === 'waiting' && result.approvalRequestId },
      { status: 'waiting', waitingAt: 'export', approval: 'apr_7' },
    );
    assert.deepEqual(events.at(-1), { stepId: 'export', component: 'EXPORT_KEY_SHARE', status: 'waiting', approvalRequestId: 'apr_7' });
    assert.deepEqual(r.ran, ['GET_NODE_RECIPIENT_KEY', 'GENERATE_AGE_ENCRYPTION'], 'nothing after the held step ran');
  });
});

describe('callThroughApprovals', () => {
  type Call = [string, Record<string, unknown>, string];
  const client = (answers: Record<string, (params: Record<string, unknown>) => unknown>) => {
    const calls: Call[] = [];
    const call = async (component: string, params: Record<string, unknown>, key: string) => {
      calls.push([component, params, key]);
      return answers[component]!(params);
    };
    return { calls, call };
  };
  const required = () => {
    throw new WrError('APPROVAL_REQUIRED', 'held');
  };

  it('requests a held call under the step key, and the run waits at it; once executed, the result comes from the request', async () => {
    const pending = client({
      EXPORT_KEY_SHARE: required,
      REQUEST_APPROVAL: () => ({ approvalRequestId: 'apr_1', status: 'pending' }),
      GET_APPROVAL_REQUEST: () => ({ approvalRequestId: 'apr_1', status: 'pending' }),
    });
    await assert.rejects(
      callThroughApprovals(pending.call)('EXPORT_KEY_SHARE', { keyId: 'k' }, 'wf.r.export'),
      (e: unknown) => e instanceof StepWaitsForApproval && e.approvalRequestId === 'apr_1',
    );
    assert.deepEqual(pending.calls, [
      ['EXPORT_KEY_SHARE', { keyId: 'k' }, 'wf.r.export'],
      ['REQUEST_APPROVAL', { component: 'EXPORT_KEY_SHARE', params: { keyId: 'k' } }, 'wf.r.export'],
      ['GET_APPROVAL_REQUEST', { approvalRequestId: 'apr_1' }, 'wf.r.export'],
    ]);
    // Resumed from the record: the request's outcome is asked for, never the call again.
    const executed = client({ GET_APPROVAL_REQUEST: () => ({ approvalRequestId: 'apr_1', status: 'executed', result: { wrappedKeyShare: 'w' } }) });
    const result = await callThroughApprovals(executed.call, new Map([['wf.r.export', 'apr_1']]))('EXPORT_KEY_SHARE', { keyId: 'k' }, 'wf.r.export');
    assert.deepEqual(result, { wrappedKeyShare: 'w' });
    assert.deepEqual(
      executed.calls.map((c) => c[0]),
      ['GET_APPROVAL_REQUEST'],
    );
  });

  it("fails with the request's error code when the approved call failed, and passes other errors through", async () => {
    const failed = client({ GET_APPROVAL_REQUEST: () => ({ approvalRequestId: 'apr_2', status: 'failed', error: { code: 'NOT_FOUND', message: 'gone' } }) });
    await assert.rejects(
      callThroughApprovals(failed.call, new Map([['wf.r.x', 'apr_2']]))('DELETE_KEY_SHARE', {}, 'wf.r.x'),
      (e: unknown) => e instanceof WrError && e.code === 'NOT_FOUND',
    );
    const other = client({ SIGN: () => Promise.reject(new WrError('PERMISSION_DENIED', 'no')) });
    await assert.rejects(callThroughApprovals(other.call)('SIGN', {}, 'wf.r.s'), (e: unknown) => e instanceof WrError && e.code === 'PERMISSION_DENIED');
    assert.equal(other.calls.length, 1, 'no approval is requested for a refusal of another kind');
  });

  it("reads a run record's handed-in blobs and approval requests", () => {
    const run = {
      runId: 'r',
      steps: [
        { stepId: 'export', component: 'EXPORT_KEY_SHARE', status: 'done' as const, approvalRequestId: 'apr_3' },
        { stepId: 'transfer', component: 'transfer', status: 'done' as const, blob: 'b' },
        { stepId: 'import', component: 'IMPORT_KEY_SHARE', status: 'pending' as const },
      ],
    };
    assert.deepEqual(recordedTransfers(run), { transfer: 'b' });
    assert.deepEqual([...recordedApprovals(run)], [['wf.r.export', 'apr_3']]);
  });
});
