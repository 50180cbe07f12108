import { describe, expect, it } from 'vitest';
import { createTestOrchestrator, type TestPlanSpec } from '../../src/testing/index.js';

const supervised = (extra: Partial<TestPlanSpec> = {}): TestPlanSpec => ({
  id: 'sup',
  mode: 'supervisor',
  maxParallel: 2,
  jobs: [{ id: 'A' }, { id: 'B' }],
  integration: { integrate: 'manual' },
  finalize: 'manual',
  ...extra,
});

describe('scenario 12: supervisor', () => {
  it('pauses before each integration and before finalize; each gate is asked once', async () => {
    const kit = createTestOrchestrator(supervised());
    await kit.start();
    await kit.complete('A');
    expect(kit.view()).toMatchObject({
      status: 'paused',
      checkpoint: { name: 'pre_integrate', jobId: 'A' },
    });
    expect(kit.pendingHooks()).toEqual([]);
    expect(kit.send({ type: 'APPROVE', checkpoint: 'pre_integrate', jobId: 'B' })).toEqual({
      accepted: false,
      reason:
        'Job "B" is not awaiting approval at pre_integrate (status: running); APPROVE rejected',
    });
    expect(kit.send({ type: 'APPROVE', checkpoint: 'pre_integrate' })).toEqual({ accepted: true });
    await kit.flush();
    expect(kit.pendingHooks().map((c) => `${c.hook} ${c.jobId}`)).toEqual(['integrate A']);
    // A failed integration retried from integrate does not ask again for A.
    kit.hookCall('integrate', 'A').reject(new Error('conflict'));
    await kit.flush();
    kit.send({ type: 'RETRY_JOB', jobId: 'A', from: 'integrate' });
    await kit.flush();
    expect(kit.pendingHooks().map((c) => `${c.hook} ${c.jobId}`)).toEqual(['integrate A']);
    kit.hookCall('integrate', 'A').resolve();
    await kit.complete('B');
    expect(kit.view().checkpoint).toEqual({ name: 'pre_integrate', jobId: 'B' });
    kit.send({ type: 'APPROVE' });
    await kit.flush();
    kit.hookCall('integrate', 'B').resolve();
    await kit.flush();
    expect(kit.view()).toMatchObject({ status: 'paused', checkpoint: { name: 'pre_finalize' } });
    expect(kit.pendingHooks()).toEqual([]);
    kit.send({ type: 'APPROVE', checkpoint: 'pre_finalize' });
    await kit.flush();
    expect(kit.view().status).toBe('finalizing');
    kit.hookCall('finalize').resolve('https://example.test/pull/1');
    await kit.flush();
    expect(kit.view().status).toBe('completed');
    expect(kit.sequence(/^(paused|finalize|finalized|completed)/)).toEqual([
      'paused pre_integrate A',
      'paused on_error A',
      'paused pre_integrate B',
      'paused pre_finalize',
      'finalize',
      'finalized',
      'completed',
    ]);
    expect(kit.records.find((r) => r.type === 'finalize-succeeded')).toMatchObject({
      output: 'https://example.test/pull/1',
    });
    kit.checkInvariants();
  });

  it('applies a job added in supervisor mode only when approved', async () => {
    const kit = createTestOrchestrator(supervised({ integration: undefined, finalize: undefined }));
    await kit.start();
    expect(kit.send({ type: 'ADD_JOB', job: { id: 'C', dependsOn: ['A'] } })).toEqual({
      accepted: true,
    });
    await kit.flush();
    expect(kit.view()).toMatchObject({
      status: 'paused',
      checkpoint: { name: 'pre_change', jobIds: ['C'] },
    });
    expect(kit.view().jobs.map((j) => j.id)).toEqual(['A', 'B']);
    kit.send({ type: 'APPROVE', checkpoint: 'pre_change' });
    await kit.flush();
    expect(kit.view().jobs.map((j) => [j.id, j.status])).toEqual([
      ['A', 'running'],
      ['B', 'running'],
      ['C', 'waiting'],
    ]);
    await kit.complete('A');
    await kit.complete('B');
    await kit.complete('C');
    expect(kit.view().status).toBe('paused'); // pre_finalize, even without a finalize hook
    kit.send({ type: 'APPROVE' });
    await kit.flush();
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });
});

describe('scenario 24: finalize failure', () => {
  it('pauses with the error; RETRY_FINALIZE runs only finalize again, never two at once', async () => {
    let finalizeCalls = 0;
    const kit = createTestOrchestrator({
      id: 'p',
      onJobFailure: 'pause',
      jobs: [{ id: 'A' }],
      finalize: async () => {
        finalizeCalls++;
        if (finalizeCalls === 1) throw new Error('GitHub API returned 502');
        return 'opened';
      },
    });
    await kit.start();
    await kit.complete('A');
    expect(kit.view()).toMatchObject({
      status: 'paused',
      checkpoint: {
        name: 'on_error',
        kind: 'finalize_failed',
        error: { message: 'GitHub API returned 502' },
      },
    });
    expect(kit.send({ type: 'APPROVE' })).toEqual({
      accepted: false,
      reason:
        'Plan "p" is paused because finalize failed; send RETRY_FINALIZE or CANCEL (APPROVE rejected)',
    });
    expect(kit.send({ type: 'RETRY_JOB', jobId: 'A' })).toMatchObject({ accepted: false });
    expect(kit.send({ type: 'RETRY_FINALIZE' })).toEqual({ accepted: true });
    expect(kit.send({ type: 'RETRY_FINALIZE' })).toEqual({
      accepted: false,
      reason:
        'Plan "p" has no failed finalize to retry (status: finalizing); RETRY_FINALIZE rejected',
    });
    await kit.flush();
    expect(kit.view().status).toBe('completed');
    expect(finalizeCalls).toBe(2);
    expect(kit.attempt('A').attempt).toBe(1); // the job did not run again
    kit.checkInvariants();
  });

  it('fails the plan when finalize fails under onJobFailure "fail"', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      onJobFailure: 'fail',
      jobs: [{ id: 'A' }],
      finalize: 'manual',
    });
    await kit.start();
    await kit.complete('A');
    kit.hookCall('finalize').reject(new Error('nope'));
    await kit.flush();
    expect(kit.view().status).toBe('failed');
    kit.checkInvariants();
  });

  it('aborts a running finalize when the plan is canceled', async () => {
    const kit = createTestOrchestrator({ id: 'p', jobs: [{ id: 'A' }], finalize: 'manual' });
    await kit.start();
    await kit.complete('A');
    const finalize = kit.hookCall('finalize');
    expect(kit.send({ type: 'PAUSE' })).toEqual({
      accepted: false,
      reason: 'Plan "p" cannot pause now (status: finalizing); PAUSE rejected',
    });
    kit.orchestrator.cancel();
    await kit.flush();
    expect(finalize.signal.aborted).toBe(true);
    expect(kit.view().status).toBe('canceled');
    kit.checkInvariants();
  });
});
