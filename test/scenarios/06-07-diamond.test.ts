import { describe, expect, it } from 'vitest';
import { createTestOrchestrator, type TestPlanSpec } from '../../src/testing/index.js';
import { orderName, permutations } from '../support/orders.js';

const diamond = (extra: Partial<TestPlanSpec> = {}): TestPlanSpec => ({
  id: 'diamond',
  maxParallel: 4,
  onJobFailure: 'pause',
  jobs: [
    { id: 'A' },
    { id: 'B', dependsOn: ['A'] },
    { id: 'C', dependsOn: ['A'] },
    { id: 'D', dependsOn: ['B', 'C'] },
  ],
  ...extra,
});

describe('scenario 6: diamond', () => {
  for (const order of permutations(['B', 'C'])) {
    it(`starts D only after both B and C succeeded (${orderName(order)})`, async () => {
      const kit = createTestOrchestrator(diamond());
      await kit.start();
      await kit.complete('A');
      expect(kit.pending().map((a) => a.jobId)).toEqual(['B', 'C']);
      await kit.complete(order[0]!);
      expect(kit.view().jobs.find((j) => j.id === 'D')?.status).toBe('waiting');
      await kit.complete(order[1]!);
      expect(kit.sequence(/^(succeeded|start D)/).slice(-2)).toEqual([
        `succeeded ${order[1]}#1`,
        'start D#1',
      ]);
      await kit.complete('D');
      expect(kit.view().status).toBe('completed');
      kit.checkInvariants();
    });
  }
});

describe('scenario 7: diamond with a failing branch', () => {
  it('pauses when B fails, records C while paused, and runs D after B is retried', async () => {
    const kit = createTestOrchestrator(diamond());
    await kit.start();
    await kit.complete('A');
    await kit.fail('B');
    expect(kit.view()).toMatchObject({
      status: 'paused',
      checkpoint: { name: 'on_error', jobId: 'B' },
    });
    await kit.complete('C', 'c');
    const view = kit.view();
    expect(view.jobs.find((j) => j.id === 'C')).toMatchObject({ status: 'succeeded', output: 'c' });
    expect(view.jobs.find((j) => j.id === 'D')?.status).toBe('waiting');
    kit.checkInvariants();

    expect(kit.send({ type: 'RETRY_JOB', jobId: 'B' })).toEqual({ accepted: true });
    await kit.flush();
    await kit.complete('B');
    expect(kit.attempt('D').attemptId).toBe('D#1');
    await kit.complete('D');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });

  for (const order of permutations(['skip', 'C'])) {
    it(`blocks D when the failed B is skipped (policy block; ${orderName(order)})`, async () => {
      const kit = createTestOrchestrator(diamond());
      await kit.start();
      await kit.complete('A');
      await kit.fail('B');
      for (const step of order) {
        if (step === 'skip')
          expect(kit.send({ type: 'SKIP_JOB', jobId: 'B', reason: 'not needed' })).toEqual({
            accepted: true,
          });
        else kit.attempt('C').resolve();
        await kit.flush();
      }
      const view = kit.view();
      expect(view.jobs.map((j) => [j.id, j.status])).toEqual([
        ['A', 'succeeded'],
        ['B', 'skipped'],
        ['C', 'succeeded'],
        ['D', 'blocked'],
      ]);
      expect(view.jobs[3]?.blockedBy).toBe('B');
      expect(view.status).toBe('failed');
      kit.checkInvariants();
    });
  }

  it('runs D when the failed B is skipped and the plan releases dependents of skipped jobs', async () => {
    const kit = createTestOrchestrator(diamond({ onSkip: 'release' }));
    await kit.start();
    await kit.complete('A');
    await kit.fail('B');
    await kit.complete('C');
    kit.send({ type: 'SKIP_JOB', jobId: 'B' });
    await kit.flush();
    expect(kit.attempt('D').attemptId).toBe('D#1');
    await kit.complete('D');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });

  it('under onJobFailure "continue" blocks D at once and ends failed after C', async () => {
    const kit = createTestOrchestrator(diamond({ onJobFailure: 'continue' }));
    await kit.start();
    await kit.complete('A');
    await kit.fail('B');
    expect(kit.view().jobs[3]?.status).toBe('blocked');
    expect(kit.view().status).toBe('running');
    await kit.complete('C');
    expect(kit.view().status).toBe('failed');
    expect(kit.records.at(-1)).toMatchObject({
      type: 'plan-failed',
      reason: 'Not every job succeeded: 1 failed, 1 blocked',
    });
    kit.checkInvariants();
  });

  it('under onJobFailure "fail" cancels C and ends the plan at once', async () => {
    const kit = createTestOrchestrator(diamond({ onJobFailure: 'fail' }));
    await kit.start();
    await kit.complete('A');
    const c = kit.attempt('C');
    await kit.fail('B');
    const view = kit.view();
    expect(view.status).toBe('failed');
    expect(view.jobs.map((j) => j.status)).toEqual(['succeeded', 'failed', 'canceled', 'blocked']);
    expect(c.signal.aborted).toBe(true);
    expect(kit.records.at(-1)).toMatchObject({
      type: 'plan-failed',
      reason: 'Job "B" failed and the plan\'s policy is "fail"',
    });
    c.resolve();
    await kit.flush();
    kit.checkInvariants();
  });

  it('APPROVE at on_error accepts the failure: D is blocked and the plan ends failed', async () => {
    const kit = createTestOrchestrator(diamond());
    await kit.start();
    await kit.complete('A');
    await kit.fail('B');
    expect(kit.send({ type: 'APPROVE', checkpoint: 'on_error' })).toEqual({ accepted: true });
    await kit.flush();
    expect(kit.view().jobs[3]?.status).toBe('blocked');
    await kit.complete('C');
    expect(kit.view().status).toBe('failed');
    kit.checkInvariants();
  });
});
