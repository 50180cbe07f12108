import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/index.js';
import { createTestOrchestrator, resumeTestOrchestrator } from '../../src/testing/index.js';

const plan = {
  id: 'p',
  jobs: [
    { id: 'build' },
    { id: 'deploy', dependsOn: ['build'], requiresApproval: true },
    { id: 'docs' },
  ],
};

describe('a job that requires approval', () => {
  it('holds the plan at pre_run naming the job, in autopilot, until APPROVE for that job; running jobs go on', async () => {
    const kit = createTestOrchestrator(plan);
    await kit.start();
    await kit.complete('build');
    expect(kit.view()).toMatchObject({
      status: 'paused',
      checkpoint: { name: 'pre_run', jobId: 'deploy' },
    });
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['docs#1']);
    await kit.complete('docs');
    expect(kit.send({ type: 'APPROVE', jobId: 'docs' })).toEqual({
      accepted: false,
      reason:
        'Job "docs" is not awaiting approval at pre_run (status: succeeded); APPROVE rejected',
    });
    expect(kit.send({ type: 'APPROVE', checkpoint: 'pre_run', jobId: 'deploy' })).toEqual({
      accepted: true,
    });
    await kit.flush();
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['deploy#1']);
    await kit.complete('deploy');
    expect(kit.view().status).toBe('completed');
    expect(kit.sequence(/^(paused|accepted|rejected|approved|completed)/)).toEqual([
      'paused pre_run deploy',
      'rejected APPROVE docs',
      'accepted APPROVE deploy',
      'approved pre_run deploy',
      'completed',
    ]);
    kit.checkInvariants();
  });

  it('is asked once: a retry of the approved job does not hold again', async () => {
    const kit = createTestOrchestrator({ ...plan, onJobFailure: 'pause' });
    await kit.start();
    await kit.complete('build');
    await kit.complete('docs');
    kit.send({ type: 'APPROVE', jobId: 'deploy' });
    await kit.flush();
    await kit.fail('deploy');
    expect(kit.send({ type: 'RETRY_JOB', jobId: 'deploy' })).toEqual({ accepted: true });
    await kit.flush();
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['deploy#2']);
    await kit.complete('deploy');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });

  it('skipped while held, lets the plan go on without it', async () => {
    const kit = createTestOrchestrator({ ...plan, onSkip: 'release' });
    await kit.start();
    await kit.complete('build');
    await kit.complete('docs');
    expect(kit.send({ type: 'SKIP_JOB', jobId: 'deploy' })).toEqual({ accepted: true });
    await kit.flush();
    expect(kit.view()).toMatchObject({ status: 'completed' });
    expect(kit.view().jobs.find((job) => job.id === 'deploy')).toMatchObject({
      status: 'skipped',
      attempt: 0,
    });
    kit.checkInvariants();
  });

  it('stays held after a crash and a resume, and runs once approved', async () => {
    const store = new MemoryStore();
    const first = createTestOrchestrator(plan, { store });
    await first.start();
    await first.complete('build');
    await first.complete('docs');
    expect(first.view().checkpoint).toEqual({ name: 'pre_run', jobId: 'deploy' });

    const kit = await resumeTestOrchestrator(plan, store);
    await kit.start();
    expect(kit.view()).toMatchObject({
      status: 'paused',
      checkpoint: { name: 'pre_run', jobId: 'deploy' },
    });
    expect(kit.pending()).toEqual([]);
    expect(kit.send({ type: 'APPROVE', jobId: 'deploy' })).toEqual({ accepted: true });
    await kit.flush();
    await kit.complete('deploy');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });

  it('is refused unless true or false', () => {
    expect(() =>
      createTestOrchestrator({
        id: 'p',
        jobs: [{ id: 'a', requiresApproval: 'yes' as unknown as boolean }],
      }),
    ).toThrow('requiresApproval must be true or false; got "yes"');
  });
});
