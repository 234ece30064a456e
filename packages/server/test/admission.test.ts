/**
 * The bound on work in flight: tasks run up to maxInFlight at once, up to
 * maxQueued more wait in arrival order for at most maxQueueWaitMs, and any
 * other is refused with a retryable RESOURCE_EXHAUSTED before it starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { WrError } from '@wr/common';
import { Admission, admissionMetrics, checkAdmissionLimits } from '../src/admission.js';

/** A task that runs until `open()` is called. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, task: () => opened };
}

const refusal = (why: RegExp) => (err: unknown) => {
  assert.ok(err instanceof WrError);
  assert.equal(err.code, 'RESOURCE_EXHAUSTED');
  assert.equal(err.status, 503);
  assert.equal(err.retryable, true);
  assert.match(err.message, why);
  return true;
};

test('up to maxInFlight run at once; maxQueued more wait and run in arrival order; one more is refused at once, before it starts', async () => {
  const pool = new Admission('test', 'test tasks', { maxInFlight: 2, maxQueued: 2, maxQueueWaitMs: 10_000 });
  const g = gate();
  const order: number[] = [];
  const running = [1, 2].map((i) => pool.run(async () => (await g.task(), order.push(i))));
  const waiting = [3, 4].map((i) => pool.run(async () => order.push(i)));
  assert.deepEqual([pool.running, pool.queued], [2, 2]);
  let started = false;
  const t = performance.now();
  await assert.rejects(
    pool.run(async () => (started = true)),
    refusal(/^test tasks are at their bound \(2 running and 2 waiting/),
  );
  assert.ok(performance.now() - t < 50, 'refused at once');
  assert.equal(started, false);
  assert.equal(pool.refused, 1);
  g.open();
  await Promise.all([...running, ...waiting]);
  assert.deepEqual(order, [1, 2, 3, 4]);
  assert.deepEqual([pool.running, pool.queued], [0, 0]);
});

test('a task that waits maxQueueWaitMs without a slot is refused then, and never runs; a failing task frees its slot', async () => {
  const pool = new Admission('test', 'test tasks', { maxInFlight: 1, maxQueued: 5, maxQueueWaitMs: 150 });
  const g = gate();
  const holder = pool.run(g.task);
  let ran = false;
  const t = performance.now();
  await assert.rejects(
    pool.run(async () => (ran = true)),
    refusal(/no slot freed up within 150 ms/),
  );
  const waited = performance.now() - t;
  assert.ok(waited >= 140 && waited < 1_000, `waited ${waited} ms`);
  assert.equal(pool.queued, 0, 'it left the queue');
  g.open();
  await holder;
  assert.equal(ran, false);
  await assert.rejects(
    pool.run(async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(pool.running, 0);
  assert.equal(await pool.run(async () => 'next'), 'next');
});

test('maxQueued 0 refuses whatever finds every slot taken; refuseIfFull says so before anything is asked to run', async () => {
  const pool = new Admission('test', 'test tasks', { maxInFlight: 1, maxQueued: 0, maxQueueWaitMs: 1_000 });
  pool.refuseIfFull();
  const g = gate();
  const holder = pool.run(g.task);
  await assert.rejects(
    pool.run(async () => 1),
    refusal(/1 running and 0 waiting/),
  );
  assert.throws(() => pool.refuseIfFull(), refusal(/1 running and 0 waiting/));
  assert.equal(pool.refused, 2);
  g.open();
  await holder;
});

test('limits that are not whole numbers, or too small, are CONFIG_INVALID naming the limit', () => {
  assert.throws(() => checkAdmissionLimits({ maxInFlight: 0, maxQueued: 0, maxQueueWaitMs: 1 }, 'stepLimits'), {
    code: 'CONFIG_INVALID',
    param: 'stepLimits.maxInFlight',
  });
  assert.throws(() => checkAdmissionLimits({ maxInFlight: 1, maxQueued: -1, maxQueueWaitMs: 1 }, 'x'), { param: 'x.maxQueued' });
  assert.throws(() => checkAdmissionLimits({ maxInFlight: 1, maxQueued: 0, maxQueueWaitMs: 1.5 }, 'x'), { param: 'x.maxQueueWaitMs' });
  assert.deepEqual(checkAdmissionLimits({ maxInFlight: 1, maxQueued: 0, maxQueueWaitMs: 1 }, 'x'), { maxInFlight: 1, maxQueued: 0, maxQueueWaitMs: 1 });
});

test('/metrics shows each pool: running, waiting, its bound, and what it refused', async () => {
  const registry = new Registry();
  const pool = new Admission('node-1', 'requests to node-1', { maxInFlight: 1, maxQueued: 0, maxQueueWaitMs: 1_000 });
  admissionMetrics(registry, () => [pool]);
  const g = gate();
  const holder = pool.run(g.task);
  await assert.rejects(pool.run(async () => 1));
  await assert.rejects(pool.run(async () => 1));
  const text = await registry.metrics();
  assert.match(text, /^wr_admission_running\{pool="node-1"\} 1$/m);
  assert.match(text, /^wr_admission_queued\{pool="node-1"\} 0$/m);
  assert.match(text, /^wr_admission_max_in_flight\{pool="node-1"\} 1$/m);
  assert.match(text, /^wr_admission_refused_total\{pool="node-1"\} 2$/m);
  await assert.rejects(pool.run(async () => 1));
  assert.match(await registry.metrics(), /^wr_admission_refused_total\{pool="node-1"\} 3$/m);
  g.open();
  await holder;
});
