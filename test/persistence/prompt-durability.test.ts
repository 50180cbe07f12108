import { describe, expect, it } from 'vitest';
import {
  createTestOrchestrator,
  resumeTestOrchestrator,
  type TestOrchestrator,
  type TestPlanSpec,
} from '../../src/testing/index.js';
import { FlushedStore } from './support/flushed-store.js';

const plan: TestPlanSpec = {
  id: 'paused-facts',
  maxParallel: 2,
  onJobFailure: 'pause',
  jobs: [{ id: 'broken' }, { id: 'slow' }, { id: 'after', dependsOn: ['slow'] }],
};

/** Lets every pending callback and scheduled write run; sends no event to the plan. */
async function settleWrites(kit: TestOrchestrator): Promise<void> {
  await kit.flush();
  await kit.flush();
}

async function pausedWithSlowRunning(store: FlushedStore) {
  const kit = createTestOrchestrator(plan, { store });
  await kit.start();
  await kit.fail('broken', new Error('exit 1'));
  expect(kit.view()).toMatchObject({ status: 'paused', checkpoint: { name: 'on_error' } });
  return kit;
}

describe('every fact is made durable promptly, whatever state the plan is in', () => {
  it('writes the pause at on_error to the store without waiting for a scheduling pass', async () => {
    const store = new FlushedStore();
    const kit = await pausedWithSlowRunning(store);
    await settleWrites(kit);
    expect(store.records.filter((r) => r.type === 'plan-paused')).toEqual([
      expect.objectContaining({
        checkpoint: expect.objectContaining({ name: 'on_error', jobId: 'broken' }),
      }),
    ]);
  });

  it('keeps a success recorded while paused across a crash: the job does not run again', async () => {
    const store = new FlushedStore();
    const kit = await pausedWithSlowRunning(store);
    kit.attempt('slow').resolve('slow-out');
    await settleWrites(kit);
    expect(store.records.map((r) => r.type)).toContain('job-succeeded');

    // The process dies here (SIGKILL): only what the store made durable is left.
    const resumed = await resumeTestOrchestrator(plan, store.crashed());
    await resumed.start();
    expect(resumed.view()).toMatchObject({
      status: 'paused',
      checkpoint: { name: 'on_error', jobId: 'broken' },
    });
    expect(resumed.view().jobs.find((j) => j.id === 'slow')).toMatchObject({
      status: 'succeeded',
      output: 'slow-out',
      attempt: 1,
    });
    resumed.send({ type: 'SKIP_JOB', jobId: 'broken' });
    await resumed.flush();
    expect(resumed.pending().map((a) => a.attemptId)).toEqual(['after#1']);
    await resumed.complete('after');
    expect(resumed.view().status).toBe('completed');
    resumed.checkInvariants();
  });

  it('pauses at persistence when the write of a paused plan fails, once, and RESUME writes it again', async () => {
    const store = new FlushedStore();
    const kit = await pausedWithSlowRunning(store);
    await settleWrites(kit);
    store.failNextFlush = true;
    kit.attempt('slow').resolve('slow-out');
    await settleWrites(kit);
    expect(kit.view()).toMatchObject({
      status: 'paused',
      checkpoint: { name: 'persistence', error: { code: 'ENOSPC' } },
    });
    expect(kit.records.filter((r) => r.type === 'persistence-failed')).toHaveLength(1);
    expect(store.records.map((r) => r.type)).not.toContain('job-succeeded');

    expect(kit.send({ type: 'RESUME' })).toEqual({ accepted: true });
    await settleWrites(kit);
    expect(store.records.map((r) => r.type)).toContain('job-succeeded');
    expect(kit.view()).toMatchObject({ status: 'paused', checkpoint: { name: 'on_error' } });
  });

  it('still starts no attempt before its start is durable (write-ahead)', async () => {
    const store = new FlushedStore();
    store.failNextFlush = true;
    const kit = createTestOrchestrator(plan, { store });
    await kit.start();
    expect(kit.pending()).toEqual([]);
    expect(kit.view().checkpoint).toMatchObject({ name: 'persistence' });
    kit.send({ type: 'RESUME' });
    await settleWrites(kit);
    const started = store.records.filter((r) => r.type === 'attempt-started').map((r) => r.jobId);
    expect(kit.pending().map((a) => a.jobId)).toEqual(started);
    expect(started).toEqual(['broken', 'slow']);
  });
});
