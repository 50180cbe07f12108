import { describe, expect, it } from 'vitest';
import { createOrchestrator } from '../src/index.js';
import { createTestOrchestrator } from '../src/testing/index.js';

const threeJobs = {
  id: 'p',
  maxParallel: 2,
  onJobFailure: 'pause' as const,
  jobs: [{ id: 'A' }, { id: 'B' }, { id: 'C' }],
};

describe('PAUSE and RESUME', () => {
  it('keeps running jobs running and recording while paused, starts nothing new, resumes on RESUME', async () => {
    const kit = createTestOrchestrator(threeJobs);
    await kit.start();
    expect(kit.send({ type: 'PAUSE' })).toEqual({ accepted: true });
    await kit.flush();
    expect(kit.view()).toMatchObject({ status: 'paused', checkpoint: { name: 'user' } });
    await kit.complete('A', 'a');
    expect(kit.view().jobs.map((j) => j.status)).toEqual(['succeeded', 'running', 'queued']);
    expect(kit.send({ type: 'PAUSE' })).toEqual({
      accepted: false,
      reason: 'Plan "p" is already paused by PAUSE; PAUSE rejected',
    });
    expect(kit.send({ type: 'RESUME' })).toEqual({ accepted: true });
    await kit.flush();
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['B#1', 'C#1']);
    expect(kit.send({ type: 'RESUME' })).toEqual({
      accepted: false,
      reason: 'Plan "p" is not paused (status: running); RESUME rejected',
    });
    await kit.complete('B');
    await kit.complete('C');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });

  it('stays paused after a user PAUSE when the failure that also held it is retried', async () => {
    const kit = createTestOrchestrator(threeJobs);
    await kit.start();
    await kit.fail('A');
    expect(kit.send({ type: 'RESUME' })).toEqual({
      accepted: false,
      reason:
        'Plan "p" is paused at on_error for job "A" (job_failed); approve, retry or skip to go on (RESUME rejected)',
    });
    expect(kit.send({ type: 'PAUSE' })).toEqual({ accepted: true });
    kit.send({ type: 'RETRY_JOB', jobId: 'A' });
    await kit.flush();
    expect(kit.view()).toMatchObject({ status: 'paused', checkpoint: { name: 'user' } });
    kit.send({ type: 'RESUME' });
    await kit.flush();
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['B#1', 'A#2']);
    kit.checkInvariants();
  });
});

describe('command answers', () => {
  it('rejects an unknown command type and a command without a job id, naming the problem', async () => {
    const kit = createTestOrchestrator(threeJobs);
    await kit.start();
    expect(kit.send({ type: 'RESTART' } as never)).toEqual({
      accepted: false,
      reason:
        'Unknown command "RESTART"; expected one of APPROVE, RETRY_JOB, RETRY_FINALIZE, SKIP_JOB, ADD_JOB, REORDER, PAUSE, RESUME, CANCEL',
    });
    expect(kit.send({ type: 'SKIP_JOB' } as never)).toEqual({
      accepted: false,
      reason: 'SKIP_JOB needs a jobId (a string); got undefined',
    });
    expect(kit.sequence(/^rejected/)).toEqual(['rejected RESTART', 'rejected SKIP_JOB']);
    expect(kit.view().status).toBe('running');
    kit.checkInvariants();
  });

  it('rejects a command sent before start', () => {
    const orchestrator = createOrchestrator({ id: 'p', jobs: [{ id: 'A', run: async () => 1 }] });
    expect(orchestrator.send({ type: 'PAUSE' })).toEqual({
      accepted: false,
      reason: 'Plan "p" has not been started; call start() before sending PAUSE',
    });
  });

  it('rejects RETRY_JOB from a step the job did not fail in', async () => {
    const kit = createTestOrchestrator(threeJobs);
    await kit.start();
    await kit.fail('A');
    expect(kit.send({ type: 'RETRY_JOB', jobId: 'A', from: 'verify' } as never)).toEqual({
      accepted: false,
      reason:
        'RETRY_JOB from "verify" is not possible for job "A" (failure: job_failed); use from: "run"',
    });
  });
});
