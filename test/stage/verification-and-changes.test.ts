import { describe, expect, it } from 'vitest';
import { createTestOrchestrator, type TestPlanSpec } from '../../src/testing/index.js';

const verified = (): TestPlanSpec => ({
  id: 'p',
  onJobFailure: 'pause',
  jobs: [
    {
      id: 'A',
      verify: (out) =>
        typeof out === 'number' && out > 0
          ? true
          : [`expected a positive number, got ${String(out)}`],
    },
    { id: 'B', dependsOn: ['A'] },
  ],
});

describe('scenario 9: verification gate', () => {
  const failVerification = async () => {
    const kit = createTestOrchestrator(verified());
    await kit.start();
    await kit.complete('A', -1);
    expect(kit.view()).toMatchObject({
      status: 'paused',
      checkpoint: { name: 'on_error', jobId: 'A', kind: 'verification' },
      jobs: [
        {
          status: 'failed',
          output: -1,
          failure: { violations: ['expected a positive number, got -1'] },
        },
        { status: 'waiting' },
      ],
    });
    return kit;
  };

  it('(a) APPROVE accepts the result as it is and the plan proceeds', async () => {
    const kit = await failVerification();
    expect(kit.send({ type: 'APPROVE', checkpoint: 'on_error', jobId: 'A' })).toEqual({
      accepted: true,
    });
    await kit.flush();
    expect(kit.view().jobs[0]).toMatchObject({ status: 'succeeded', output: -1 });
    await kit.complete('B');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });

  it('(b) RETRY_JOB from run runs the job again', async () => {
    const kit = await failVerification();
    kit.send({ type: 'RETRY_JOB', jobId: 'A', from: 'run' });
    await kit.flush();
    await kit.complete('A', 5);
    expect(kit.view().jobs[0]).toMatchObject({ status: 'succeeded', attempt: 2, output: 5 });
    kit.checkInvariants();
  });

  it('(c) RETRY_JOB from verify checks the kept result again and fails again while it is still invalid', async () => {
    const kit = await failVerification();
    expect(kit.send({ type: 'RETRY_JOB', jobId: 'A', from: 'verify' })).toEqual({ accepted: true });
    await kit.flush();
    expect(kit.view()).toMatchObject({
      status: 'paused',
      jobs: [{ status: 'failed', attempt: 1 }, { status: 'waiting' }],
    });
    expect(kit.pending()).toEqual([]); // the job's work did not run again
    expect(kit.sequence(/A#/).slice(-4)).toEqual([
      'failed A#1 verification',
      'reverify A#1',
      'verifying A#1',
      'failed A#1 verification',
    ]);
    kit.checkInvariants();
  });

  it('rejects RETRY_JOB from verify for a failure that was not a verification', async () => {
    const kit = createTestOrchestrator(verified());
    await kit.start();
    await kit.fail('A');
    expect(kit.send({ type: 'RETRY_JOB', jobId: 'A', from: 'verify' })).toEqual({
      accepted: false,
      reason:
        'RETRY_JOB from "verify" is not possible for job "A" (failure: job_failed); use from: "run"',
    });
  });
});

describe('scenario 20: adding a job while running', () => {
  const running = (): TestPlanSpec => ({
    id: 'p',
    maxParallel: 1,
    jobs: [{ id: 'A' }, { id: 'B' }],
  });

  it('validates the job like a plan job; C waits for A', async () => {
    const kit = createTestOrchestrator(running());
    await kit.start();
    expect(kit.send({ type: 'ADD_JOB', job: { id: 'C', dependsOn: ['A'] } })).toEqual({
      accepted: true,
    });
    await kit.flush();
    expect(kit.view().jobs.map((j) => [j.id, j.status])).toEqual([
      ['A', 'running'],
      ['B', 'queued'],
      ['C', 'waiting'],
    ]);
    await kit.complete('A');
    await kit.complete('B');
    await kit.complete('C');
    expect(kit.view().status).toBe('completed');
    expect(kit.sequence(/^(added|accepted)/)).toEqual(['accepted ADD_JOB', 'added C']);
    kit.checkInvariants();
  });

  it('rejects a bad addition with its diagnostics and changes nothing', async () => {
    const kit = createTestOrchestrator(running());
    await kit.start();
    const before = kit.view();
    const duplicate = kit.send({ type: 'ADD_JOB', job: { id: 'A' } });
    expect(duplicate).toMatchObject({
      accepted: false,
      issues: [{ code: 'DUPLICATE_ID', path: 'job.id' }],
    });
    const unknown = kit.send({ type: 'ADD_JOB', job: { id: 'C', dependsOn: ['AA'] } });
    expect(unknown).toEqual({
      accepted: false,
      reason:
        'ADD_JOB rejected: job.dependsOn[0]: Job "C" depends on unknown job "AA"; did you mean "A"?',
      issues: [expect.objectContaining({ code: 'UNKNOWN_DEPENDENCY' })],
    });
    const cycle = kit.send({ type: 'ADD_JOB', job: { id: 'C', dependsOn: ['C'] } });
    expect(cycle).toMatchObject({ accepted: false, issues: [{ code: 'CYCLE' }] });
    expect(kit.view()).toEqual(before);
    expect(kit.sequence(/^rejected/)).toEqual([
      'rejected ADD_JOB A',
      'rejected ADD_JOB C',
      'rejected ADD_JOB C',
    ]);
    kit.checkInvariants();
  });

  it('blocks an added job whose dependency can no longer succeed', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      onJobFailure: 'continue',
      jobs: [{ id: 'A' }, { id: 'B' }],
    });
    await kit.start();
    await kit.fail('A');
    kit.send({ type: 'ADD_JOB', job: { id: 'C', dependsOn: ['A'] } });
    await kit.flush();
    expect(kit.view().jobs[2]).toMatchObject({ id: 'C', status: 'blocked', blockedBy: 'A' });
    await kit.complete('B');
    expect(kit.view().status).toBe('failed');
    kit.checkInvariants();
  });
});

describe('re-ordering the integration queue', () => {
  it('integrates the listed jobs first, in the given order', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      maxParallel: 3,
      jobs: [{ id: 'A' }, { id: 'B' }, { id: 'C' }],
      integration: { integrate: 'manual' },
    });
    await kit.start();
    await kit.complete('A');
    kit.attempt('B').resolve();
    kit.attempt('C').resolve();
    await kit.flush();
    expect(kit.send({ type: 'REORDER', jobIds: ['C', 'B'] })).toEqual({ accepted: true });
    kit.hookCall('integrate', 'A').resolve();
    await kit.flush();
    expect(kit.pendingHooks().map((c) => c.jobId)).toEqual(['C']);
    kit.hookCall('integrate', 'C').resolve();
    await kit.flush();
    kit.hookCall('integrate', 'B').resolve();
    await kit.flush();
    expect(kit.sequence(/^integrated/)).toEqual([
      'integrated A@1',
      'integrated C@1',
      'integrated B@1',
    ]);
    kit.checkInvariants();
  });

  it('refuses an order that puts a job before its dependency, and one for an integrated job', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      jobs: [{ id: 'A' }, { id: 'B', dependsOn: ['A'] }, { id: 'C' }],
      integration: { integrate: 'manual', order: 'strict' },
    });
    await kit.start();
    expect(kit.send({ type: 'REORDER', jobIds: ['B', 'A'] })).toEqual({
      accepted: false,
      reason:
        'Job "B" cannot integrate before its dependency "A" (status: running); REORDER rejected',
    });
    expect(kit.send({ type: 'REORDER', jobIds: ['A', 'B'] })).toEqual({ accepted: true });
    await kit.complete('A');
    kit.hookCall('integrate', 'A').resolve();
    await kit.flush();
    expect(kit.send({ type: 'REORDER', jobIds: ['A'] })).toEqual({
      accepted: false,
      reason: 'Job "A" is succeeded and cannot be reordered; REORDER rejected',
    });
    kit.checkInvariants();
  });
});
