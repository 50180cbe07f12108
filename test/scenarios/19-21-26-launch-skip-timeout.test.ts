import { describe, expect, it } from 'vitest';
import { JobAbortedError, JobTimeoutError } from '../../src/index.js';
import { createTestOrchestrator } from '../../src/testing/index.js';

describe('scenario 19: launch failure', () => {
  it('fails a job whose runner throws synchronously, frees its slot and pauses at on_error', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      onJobFailure: 'pause',
      maxParallel: 1,
      jobs: [
        {
          id: 'A',
          run: () => {
            throw new Error('spawn ENOENT: no-such-binary');
          },
        },
        { id: 'B' },
      ],
    });
    await kit.start();
    const view = kit.view();
    expect(view).toMatchObject({
      status: 'paused',
      checkpoint: {
        name: 'on_error',
        jobId: 'A',
        kind: 'job_failed',
        error: { message: 'spawn ENOENT: no-such-binary' },
      },
    });
    expect(view.jobs.map((j) => j.status)).toEqual(['failed', 'queued']);
    expect(view.counts.running).toBe(0);
    kit.checkInvariants();
    // The slot was freed: once A is skipped, B takes it.
    expect(kit.send({ type: 'SKIP_JOB', jobId: 'A' })).toEqual({ accepted: true });
    await kit.flush();
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['B#1']);
    await kit.complete('B');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });
});

describe('scenario 21: skipping a running job', () => {
  for (const onSkip of ['block', 'release'] as const) {
    it(`aborts A's signal, marks it skipped, ignores its late result (onSkip ${onSkip})`, async () => {
      const kit = createTestOrchestrator({
        id: 'p',
        onSkip,
        jobs: [{ id: 'A' }, { id: 'B', dependsOn: ['A'] }],
      });
      await kit.start();
      const a = kit.attempt('A');
      expect(kit.send({ type: 'SKIP_JOB', jobId: 'A', reason: 'flaky' })).toEqual({
        accepted: true,
      });
      await kit.flush();
      expect(a.signal.aborted).toBe(true);
      expect(a.signal.reason).toBeInstanceOf(JobAbortedError);
      expect((a.signal.reason as JobAbortedError).message).toBe('Job "A" was skipped: flaky');
      a.resolve('late');
      await kit.flush();
      expect(kit.sequence(/^ignored/)).toEqual(['ignored JOB_COMPLETED A#1']);
      if (onSkip === 'block') {
        expect(kit.view()).toMatchObject({
          status: 'failed',
          jobs: [{ status: 'skipped' }, { status: 'blocked', blockedBy: 'A' }],
        });
      } else {
        await kit.complete('B');
        expect(kit.view()).toMatchObject({
          status: 'completed',
          jobs: [{ status: 'skipped' }, { status: 'succeeded' }],
        });
      }
      kit.checkInvariants();
    });
  }

  it('rejects skipping a job that already succeeded', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      jobs: [{ id: 'A' }, { id: 'B', dependsOn: ['A'] }],
    });
    await kit.start();
    await kit.complete('A');
    expect(kit.send({ type: 'SKIP_JOB', jobId: 'A' })).toEqual({
      accepted: false,
      reason: 'Job "A" (attempt 1) is already succeeded; SKIP_JOB rejected',
    });
    await kit.complete('B');
    kit.checkInvariants();
  });
});

describe('scenario 26: timeout', () => {
  it('aborts the signal at the deadline, counts a timeout, and ignores a later resolve', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      onJobFailure: 'continue',
      jobs: [{ id: 'A', timeoutMs: 5000 }],
    });
    await kit.start();
    const a = kit.attempt('A');
    await kit.advance(4999);
    expect(a.signal.aborted).toBe(false);
    await kit.advance(1);
    expect(a.signal.aborted).toBe(true);
    expect(a.signal.reason).toBeInstanceOf(JobTimeoutError);
    expect((a.signal.reason as JobTimeoutError).message).toBe(
      'Job "A" attempt 1 timed out after 5000 ms',
    );
    expect(kit.view()).toMatchObject({
      status: 'failed',
      jobs: [{ status: 'failed', failure: { kind: 'timeout' } }],
    });
    a.resolve('too late');
    await kit.flush();
    expect(kit.sequence(/A#1/)).toEqual([
      'start A#1',
      'running A#1',
      'failed A#1 timeout',
      'ignored JOB_COMPLETED A#1',
    ]);
    kit.checkInvariants();
  });

  it('retries after a timeout when attempts remain', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      jobs: [{ id: 'A', timeoutMs: 100, retry: { maxAttempts: 2, initialDelayMs: 50 } }],
    });
    await kit.start();
    await kit.advance(100);
    expect(kit.records.at(-1)).toMatchObject({
      type: 'attempt-failed',
      kind: 'timeout',
      retryInMs: 50,
    });
    await kit.advance(50);
    expect(kit.attempt('A').attemptId).toBe('A#2');
    await kit.complete('A');
    expect(kit.view().status).toBe('completed');
    expect(kit.clock.pendingTimers()).toEqual([]); // the second attempt's timeout was withdrawn
    kit.checkInvariants();
  });

  for (const late of ['rejects', 'resolves'] as const) {
    it(`ignores what the timed-out attempt does while the job waits to retry (it ${late})`, async () => {
      const kit = createTestOrchestrator({
        id: 'p',
        jobs: [{ id: 'A', timeoutMs: 100, retry: { maxAttempts: 2, initialDelayMs: 1000 } }],
      });
      await kit.start();
      const first = kit.attempt('A');
      await kit.advance(100);
      expect(kit.view().jobs[0]?.status).toBe('retrying');
      // A command stopped by its timeout ends during the delay: its outcome is not the job's.
      if (late === 'rejects') first.reject(first.signal.reason);
      else first.resolve('too late');
      await kit.flush();
      expect(kit.view()).toMatchObject({ status: 'running', jobs: [{ status: 'retrying' }] });
      await kit.advance(1000);
      expect(kit.attempt('A').attemptId).toBe('A#2');
      await kit.complete('A', 'ok');
      expect(kit.view()).toMatchObject({ status: 'completed', jobs: [{ output: 'ok' }] });
      expect(kit.sequence(/A#/)).toEqual([
        'start A#1',
        'running A#1',
        'retry A#1 timeout in 1000ms',
        `ignored ${late === 'rejects' ? 'JOB_FAILED' : 'JOB_COMPLETED'} A#1`,
        'due A#2',
        'start A#2',
        'running A#2',
        'succeeded A#2',
      ]);
      kit.checkInvariants();
    });
  }
});
