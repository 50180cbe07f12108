import { describe, expect, it } from 'vitest';
import { createTestOrchestrator, type TestPlanSpec } from '../../src/testing/index.js';

describe('scenario 25: a command racing a pass', () => {
  it('applies an APPROVE and a completion that arrive while a pass waits for its commit', async () => {
    const plan: TestPlanSpec = {
      id: 'p',
      mode: 'supervisor',
      maxParallel: 2,
      jobs: [{ id: 'A' }, { id: 'B' }, { id: 'C' }],
      integration: { integrate: 'manual' },
    };
    const kit = createTestOrchestrator(plan, { store: 'held' });
    await kit.start();
    await kit.complete('A'); // C takes A's slot; the plan then asks to integrate A
    expect(kit.view().checkpoint).toEqual({ name: 'pre_integrate', jobId: 'A' });
    kit.heldStore.hold();
    // Approving resumes the plan: its pass decides to integrate A and waits for the commit.
    kit.send({ type: 'APPROVE', checkpoint: 'pre_integrate' });
    await kit.flush();
    expect(kit.view().pass).toBe('reconciling');
    // In the same tick, B completes and the user pauses: both are recorded, neither is lost.
    kit.attempt('B').resolve('b');
    expect(kit.send({ type: 'PAUSE' })).toEqual({ accepted: true });
    await kit.flush();
    expect(kit.view().pass).toBe('reconcilePending');
    expect(kit.view().jobs[1]?.status).toBe('awaitingIntegration');
    kit.heldStore.release();
    await kit.flush();
    // The integration decided before the pause goes ahead; the pause holds everything new.
    expect(kit.pendingHooks().map((c) => c.jobId)).toEqual(['A']);
    expect(kit.view()).toMatchObject({ status: 'paused', checkpoint: { name: 'user' } });
    kit.hookCall('integrate', 'A').resolve();
    kit.send({ type: 'RESUME' });
    await kit.flush();
    expect(kit.view().checkpoint).toEqual({ name: 'pre_integrate', jobId: 'B' });
    kit.checkInvariants();
  });
});

describe('scenario 21 with an integration stage', () => {
  it('skips a job awaiting integration; it never integrates', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      onSkip: 'release',
      jobs: [{ id: 'A' }, { id: 'B' }],
      integration: { integrate: 'manual' },
    });
    await kit.start();
    await kit.complete('A');
    await kit.complete('B');
    expect(kit.send({ type: 'SKIP_JOB', jobId: 'A' })).toEqual({
      accepted: false,
      reason:
        'Job "A" (attempt 1) is integrating; wait for its integration to end (SKIP_JOB rejected)',
    });
    expect(kit.send({ type: 'SKIP_JOB', jobId: 'B', reason: 'superseded' })).toEqual({
      accepted: true,
    });
    kit.hookCall('integrate', 'A').resolve();
    await kit.flush();
    expect(kit.view()).toMatchObject({
      status: 'completed',
      jobs: [{ status: 'succeeded' }, { status: 'skipped' }],
    });
    expect(kit.pendingHooks()).toEqual([]);
    kit.checkInvariants();
  });
});

describe('rejected commands', () => {
  const plan: TestPlanSpec = {
    id: 'p',
    onJobFailure: 'pause',
    jobs: [{ id: 'A' }, { id: 'B' }],
    integration: { integrate: 'manual' },
  };

  it('names the wrong checkpoint, the unknown job, the wrong status and the finished plan', async () => {
    const kit = createTestOrchestrator(plan);
    await kit.start();
    expect(kit.send({ type: 'APPROVE', checkpoint: 'pre_integrate' })).toEqual({
      accepted: false,
      reason:
        'Plan "p" is not waiting at a checkpoint (status: running); APPROVE { checkpoint: "pre_integrate" } rejected',
    });
    await kit.fail('A');
    expect(kit.send({ type: 'APPROVE', checkpoint: 'pre_finalize' })).toEqual({
      accepted: false,
      reason:
        'Plan "p" is waiting at on_error for job "A" (job_failed), not "pre_finalize"; APPROVE rejected',
    });
    expect(kit.send({ type: 'RETRY_JOB', jobId: 'Z' })).toEqual({
      accepted: false,
      reason: 'No job "Z" in plan "p"; RETRY_JOB rejected',
    });
    expect(kit.send({ type: 'RETRY_JOB', jobId: 'B' })).toEqual({
      accepted: false,
      reason: 'Job "B" (attempt 1) is not failed (status: running); RETRY_JOB rejected',
    });
    expect(kit.send({ type: 'RETRY_JOB', jobId: 'A', from: 'integrate' })).toEqual({
      accepted: false,
      reason:
        'RETRY_JOB from "integrate" is not possible for job "A" (failure: job_failed); use from: "run"',
    });
    kit.orchestrator.cancel();
    await kit.flush();
    expect(kit.send({ type: 'APPROVE' })).toEqual({
      accepted: false,
      reason: 'Plan "p" is finished (status: canceled); APPROVE rejected',
    });
    expect(kit.sequence(/^(rejected|accepted)/)).toEqual([
      'rejected APPROVE',
      'rejected APPROVE',
      'rejected RETRY_JOB Z',
      'rejected RETRY_JOB B',
      'rejected RETRY_JOB A',
      'accepted CANCEL',
      'rejected APPROVE',
    ]);
    kit.checkInvariants();
  });

  it('refuses REORDER without an integration stage', async () => {
    const kit = createTestOrchestrator({ id: 'p', jobs: [{ id: 'A' }] });
    await kit.start();
    expect(kit.send({ type: 'REORDER', jobIds: ['A'] })).toEqual({
      accepted: false,
      reason: 'Plan "p" has no integration stage to reorder; REORDER rejected',
    });
  });
});
