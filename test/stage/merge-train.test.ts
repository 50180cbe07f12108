import { describe, expect, it } from 'vitest';
import { createTestOrchestrator, type TestPlanSpec } from '../../src/testing/index.js';
import { orderName, permutations } from '../support/orders.js';

type Stage = NonNullable<TestPlanSpec['integration']>;
const withStage = (
  jobs: TestPlanSpec['jobs'],
  stage: Partial<Stage> = {},
  extra: Partial<TestPlanSpec> = {},
): TestPlanSpec => ({
  id: 'train',
  maxParallel: 4,
  onJobFailure: 'pause',
  jobs,
  integration: { integrate: 'manual', ...stage },
  ...extra,
});

describe('scenario 1 with an integration stage', () => {
  for (const order of permutations(['A', 'B'])) {
    it(`integrates two completions of one tick one at a time, in completion order (${orderName(order)})`, async () => {
      const kit = createTestOrchestrator(withStage([{ id: 'A' }, { id: 'B' }, { id: 'C' }]));
      await kit.start();
      for (const id of order) kit.attempt(id).resolve(id);
      await kit.flush();
      expect(kit.pendingHooks().map((c) => c.jobId)).toEqual([order[0]]);
      expect(kit.view().jobs.find((j) => j.id === order[1])?.status).toBe('awaitingIntegration');
      kit.hookCall('integrate', order[0]).resolve();
      await kit.flush();
      expect(kit.pendingHooks().map((c) => c.jobId)).toEqual([order[1]]);
      kit.hookCall('integrate', order[1]).resolve();
      await kit.complete('C');
      kit.hookCall('integrate', 'C').resolve();
      await kit.flush();
      expect(kit.view().status).toBe('completed');
      expect(kit.sequence(/^integrated/)).toEqual([
        `integrated ${order[0]}@1`,
        `integrated ${order[1]}@1`,
        'integrated C@1',
      ]);
      kit.checkInvariants();
    });
  }
});

describe('scenario 3 with an integration stage', () => {
  it('keeps B and C integrated while A has failed, and integrates A after its retry', async () => {
    const kit = createTestOrchestrator(withStage([{ id: 'A' }, { id: 'B' }, { id: 'C' }]));
    await kit.start();
    await kit.complete('B');
    kit.attempt('A').reject(new Error('boom'));
    kit.attempt('C').resolve();
    kit.hookCall('integrate', 'B').resolve();
    await kit.flush();
    const view = kit.view();
    expect(view).toMatchObject({ status: 'paused', checkpoint: { name: 'on_error', jobId: 'A' } });
    expect(view.jobs.map((j) => j.status)).toEqual(['failed', 'succeeded', 'awaitingIntegration']);
    kit.send({ type: 'RETRY_JOB', jobId: 'A' });
    await kit.flush();
    kit.hookCall('integrate', 'C').resolve();
    await kit.complete('A');
    kit.hookCall('integrate', 'A').resolve();
    await kit.flush();
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });
});

describe('scenarios 6 and 7 with an integration stage', () => {
  const diamond = [
    { id: 'A' },
    { id: 'B', dependsOn: ['A'] },
    { id: 'C', dependsOn: ['A'] },
    { id: 'D', dependsOn: ['B', 'C'] },
  ];

  it('starts B and C only after A is integrated, and D only after both are', async () => {
    const kit = createTestOrchestrator(withStage(diamond));
    await kit.start();
    await kit.complete('A');
    expect(kit.pending()).toEqual([]); // A ran, but is not integrated yet
    kit.hookCall('integrate', 'A').resolve();
    await kit.flush();
    expect(kit.pending().map((a) => a.jobId)).toEqual(['B', 'C']);
    await kit.complete('C');
    await kit.complete('B');
    kit.hookCall('integrate', 'C').resolve();
    await kit.flush();
    expect(kit.view().jobs[3]?.status).toBe('waiting');
    kit.hookCall('integrate', 'B').resolve();
    await kit.flush();
    expect(kit.attempt('D').attemptId).toBe('D#1');
    kit.checkInvariants();
  });

  it('records C while paused for B, integrates nothing new while paused, and finishes after retrying B', async () => {
    const kit = createTestOrchestrator(withStage(diamond));
    await kit.start();
    await kit.complete('A');
    kit.hookCall('integrate', 'A').resolve();
    await kit.flush();
    await kit.fail('B');
    await kit.complete('C');
    expect(kit.view().jobs.map((j) => j.status)).toEqual([
      'succeeded',
      'failed',
      'awaitingIntegration',
      'waiting',
    ]);
    expect(kit.pendingHooks()).toEqual([]);
    kit.send({ type: 'RETRY_JOB', jobId: 'B' });
    await kit.flush();
    kit.hookCall('integrate', 'C').resolve();
    await kit.complete('B');
    kit.hookCall('integrate', 'B').resolve();
    await kit.flush();
    await kit.complete('D');
    kit.hookCall('integrate', 'D').resolve();
    await kit.flush();
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });
});

describe('scenario 10: integration conflict', () => {
  it('fails B with integration_conflict, keeps A integrated, and integrates B on RETRY_JOB from integrate', async () => {
    const kit = createTestOrchestrator(withStage([{ id: 'A' }, { id: 'B' }]));
    await kit.start();
    await kit.complete('A');
    kit.hookCall('integrate', 'A').resolve();
    await kit.complete('B');
    kit.hookCall('integrate', 'B').reject(new Error('merge conflict in src/app.ts'));
    await kit.flush();
    expect(kit.view()).toMatchObject({
      status: 'paused',
      checkpoint: {
        name: 'on_error',
        jobId: 'B',
        kind: 'integration_conflict',
        error: { message: 'merge conflict in src/app.ts' },
      },
      jobs: [{ status: 'succeeded' }, { status: 'failed', attempt: 1 }],
    });
    expect(kit.send({ type: 'RETRY_JOB', jobId: 'B', from: 'integrate' })).toEqual({
      accepted: true,
    });
    await kit.flush();
    expect(kit.pending()).toEqual([]); // B's work is not run again
    kit.hookCall('integrate', 'B').resolve();
    await kit.flush();
    expect(kit.view().status).toBe('completed');
    expect(kit.sequence(/^(integrate|integrated|failed|requeued)/)).toEqual([
      'integrate A@1',
      'integrated A@1',
      'integrate B@1',
      'failed B@1 integration_conflict',
      'requeued B',
      'integrate B@2',
      'integrated B@2',
    ]);
    kit.checkInvariants();
  });
});

describe('scenario 11: check failure', () => {
  for (const how of ['throws', 'returns false', 'times out'] as const) {
    it(`rolls back before anything else integrates when check ${how}; the job fails check_failed`, async () => {
      const kit = createTestOrchestrator(
        withStage([{ id: 'A' }, { id: 'B' }], {
          check: 'manual',
          rollback: 'manual',
          checkTimeoutMs: 30_000,
        }),
      );
      await kit.start();
      kit.attempt('A').resolve();
      kit.attempt('B').resolve();
      await kit.flush();
      kit.hookCall('integrate', 'A').resolve();
      await kit.flush();
      const check = kit.hookCall('check', 'A');
      if (how === 'throws') check.reject(new Error('2 tests failed'));
      if (how === 'returns false') check.resolve(false);
      if (how === 'times out') await kit.advance(30_000);
      await kit.flush();
      if (how === 'times out') expect(check.signal.aborted).toBe(true);
      const live = kit.pendingHooks().filter((c) => !c.signal.aborted);
      expect(live.map((c) => `${c.hook} ${c.jobId}`)).toEqual(['rollback A']);
      kit.hookCall('rollback', 'A').resolve();
      await kit.flush();
      const view = kit.view();
      expect(view).toMatchObject({
        status: 'paused',
        checkpoint: { name: 'on_error', jobId: 'A', kind: 'check_failed' },
      });
      expect(view.jobs[1]?.status).toBe('awaitingIntegration'); // B never integrated meanwhile
      const message = view.jobs[0]?.failure?.error.message;
      expect(message).toBe(
        {
          throws: '2 tests failed',
          'returns false': 'check returned false',
          'times out': 'check timed out',
        }[how],
      );
      kit.checkInvariants();
    });
  }
});

describe('scenario 22: head-of-line policy', () => {
  it("strict order: B waits for A's integration even though B finished first", async () => {
    const kit = createTestOrchestrator(withStage([{ id: 'A' }, { id: 'B' }], { order: 'strict' }));
    await kit.start();
    await kit.complete('B');
    expect(kit.pendingHooks()).toEqual([]);
    await kit.complete('A');
    expect(kit.pendingHooks().map((c) => c.jobId)).toEqual(['A']);
    kit.hookCall('integrate', 'A').resolve();
    await kit.flush();
    kit.hookCall('integrate', 'B').resolve();
    await kit.flush();
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });

  it('completion order: B integrates first', async () => {
    const kit = createTestOrchestrator(
      withStage([{ id: 'A' }, { id: 'B' }], { order: 'completion' }),
    );
    await kit.start();
    await kit.complete('B');
    expect(kit.pendingHooks().map((c) => c.jobId)).toEqual(['B']);
    kit.checkInvariants();
  });

  it('strict order: when A fails, the plan pauses and says why instead of leaving B stuck', async () => {
    const kit = createTestOrchestrator(withStage([{ id: 'A' }, { id: 'B' }], { order: 'strict' }));
    await kit.start();
    await kit.complete('B');
    await kit.fail('A', new Error('compile error'));
    expect(kit.view()).toMatchObject({
      status: 'paused',
      checkpoint: {
        name: 'on_error',
        jobId: 'A',
        kind: 'job_failed',
        error: { message: 'compile error' },
      },
    });
    // Accepting A's failure lets B integrate.
    kit.send({ type: 'APPROVE', checkpoint: 'on_error', jobId: 'A' });
    await kit.flush();
    expect(kit.pendingHooks().map((c) => c.jobId)).toEqual(['B']);
    kit.hookCall('integrate', 'B').resolve();
    await kit.flush();
    expect(kit.view().status).toBe('failed');
    kit.checkInvariants();
  });

  it('strict order under onJobFailure "continue" passes over a failed job', async () => {
    const kit = createTestOrchestrator(
      withStage([{ id: 'A' }, { id: 'B' }], { order: 'strict' }, { onJobFailure: 'continue' }),
    );
    await kit.start();
    await kit.complete('B');
    await kit.fail('A');
    expect(kit.pendingHooks().map((c) => c.jobId)).toEqual(['B']);
    kit.checkInvariants();
  });
});

describe('strict order after a retry', () => {
  it('integrates a job that the order had passed over once it is retried', async () => {
    const kit = createTestOrchestrator(
      withStage(
        [{ id: 'A' }, { id: 'B' }],
        { order: 'strict' },
        { onJobFailure: 'continue', maxParallel: 1 },
      ),
    );
    await kit.start();
    await kit.complete('A');
    kit.hookCall('integrate', 'A').reject(new Error('conflict'));
    await kit.flush();
    kit.send({ type: 'RETRY_JOB', jobId: 'A' });
    await kit.flush();
    await kit.complete('B');
    await kit.complete('A');
    expect(kit.pendingHooks().map((c) => c.jobId)).toEqual(['A']);
    kit.hookCall('integrate', 'A').resolve();
    await kit.flush();
    kit.hookCall('integrate', 'B').resolve();
    await kit.flush();
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });
});

describe('scenario 23: a result that changes nothing', () => {
  it('counts as integrated, without running check', async () => {
    const kit = createTestOrchestrator(
      withStage([{ id: 'A' }, { id: 'B', dependsOn: ['A'] }], { check: 'manual' }),
    );
    await kit.start();
    await kit.complete('A');
    kit.hookCall('integrate', 'A').resolve({ changed: false });
    await kit.flush();
    expect(kit.sequence(/^integrated/)).toEqual(['integrated A@1 (no change)']);
    expect(kit.pendingHooks()).toEqual([]);
    expect(kit.attempt('B').attemptId).toBe('B#1');
    kit.checkInvariants();
  });
});
