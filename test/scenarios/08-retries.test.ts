import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../src/index.js';
import { createTestOrchestrator } from '../../src/testing/index.js';

const retry = { maxAttempts: 3, initialDelayMs: 1000, factor: 2, maxDelayMs: 60_000 };

describe('scenario 8: retries', () => {
  it('fails attempts 1 and 2 and succeeds on 3 with the configured backoff delays', async () => {
    const kit = createTestOrchestrator({ id: 'p', jobs: [{ id: 'A', retry }] });
    await kit.start();
    await kit.fail('A');
    expect(kit.view().jobs[0]?.status).toBe('retrying');
    await kit.advance(999);
    expect(kit.attempt('A').attempt).toBe(1); // not a millisecond early
    await kit.advance(1);
    expect(kit.attempt('A').attempt).toBe(2);
    expect(kit.clock.now()).toBe(1000);

    await kit.fail('A');
    await kit.advance(1999);
    expect(kit.attempt('A').attempt).toBe(2);
    await kit.advance(1);
    expect(kit.attempt('A').attemptId).toBe('A#3');
    expect(kit.clock.now()).toBe(3000);

    await kit.complete('A', 'ok');
    expect(kit.view()).toMatchObject({
      status: 'completed',
      jobs: [{ status: 'succeeded', attempt: 3, output: 'ok' }],
    });
    expect(kit.sequence(/A#/)).toEqual([
      'start A#1',
      'running A#1',
      'retry A#1 job_failed in 1000ms',
      'due A#2',
      'start A#2',
      'running A#2',
      'retry A#2 job_failed in 2000ms',
      'due A#3',
      'start A#3',
      'running A#3',
      'succeeded A#3',
    ]);
    expect(kit.records.filter((r) => r.type === 'attempt-started').map((r) => r.at)).toEqual([
      0, 1000, 3000,
    ]);
    kit.checkInvariants();
  });

  it('caps delays at maxDelayMs', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      jobs: [
        { id: 'A', retry: { maxAttempts: 4, initialDelayMs: 500, factor: 10, maxDelayMs: 2000 } },
      ],
    });
    await kit.start();
    for (const expected of [500, 2000, 2000]) {
      await kit.fail('A');
      expect(kit.records.at(-1)).toMatchObject({ type: 'attempt-failed', retryInMs: expected });
      await kit.advance(expected);
    }
    await kit.complete('A');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });

  it('stops at once on NonRetryableError', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      onJobFailure: 'pause',
      jobs: [{ id: 'A', retry }],
    });
    await kit.start();
    await kit.fail('A', new NonRetryableError('bad credentials'));
    expect(kit.view()).toMatchObject({
      status: 'paused',
      jobs: [
        {
          status: 'failed',
          attempt: 1,
          failure: { error: { code: 'JOB_NON_RETRYABLE', message: 'bad credentials' } },
        },
      ],
    });
    expect(kit.clock.pendingTimers()).toEqual([]);
    kit.checkInvariants();
  });

  it('fails the job once retries are exhausted', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      onJobFailure: 'continue',
      jobs: [{ id: 'A', retry: { ...retry, maxAttempts: 2 } }],
    });
    await kit.start();
    await kit.fail('A');
    await kit.advance(1000);
    await kit.fail('A', new Error('still broken'));
    expect(kit.view()).toMatchObject({
      status: 'failed',
      jobs: [
        {
          status: 'failed',
          attempt: 2,
          failure: { kind: 'job_failed', error: { message: 'still broken' } },
        },
      ],
    });
    kit.checkInvariants();
  });

  it('gives a retried job a fresh budget, numbering attempts on', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      onJobFailure: 'pause',
      jobs: [{ id: 'A', retry: { ...retry, maxAttempts: 2 } }],
    });
    await kit.start();
    await kit.fail('A');
    await kit.advance(1000);
    await kit.fail('A');
    kit.send({ type: 'RETRY_JOB', jobId: 'A', from: 'run' });
    await kit.flush();
    expect(kit.attempt('A').attemptId).toBe('A#3');
    await kit.fail('A');
    expect(kit.view().jobs[0]?.status).toBe('retrying');
    await kit.advance(1000);
    await kit.complete('A');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });

  it('derives jitter from the attempt id, so the same attempt always waits the same time', async () => {
    const delays: number[] = [];
    for (let run = 0; run < 2; run++) {
      const kit = createTestOrchestrator({
        id: 'p',
        jobs: [{ id: 'A', retry: { ...retry, jitter: 0.5 } }],
      });
      await kit.start();
      await kit.fail('A');
      const record = kit.records.at(-1);
      if (record?.type === 'attempt-failed') delays.push(record.retryInMs);
    }
    expect(delays[0]).toBe(delays[1]);
    expect(delays[0]).toBeGreaterThanOrEqual(500);
    expect(delays[0]).toBeLessThanOrEqual(1000);
  });

  describe('rejected commands', () => {
    it('rejects a retry of a job that is not failed, of an unknown job, and in a finished plan', async () => {
      const kit = createTestOrchestrator({ id: 'p', jobs: [{ id: 'api', retry }] });
      await kit.start();
      await kit.fail('api');
      await kit.advance(1000);
      expect(kit.send({ type: 'RETRY_JOB', jobId: 'api' })).toEqual({
        accepted: false,
        reason: 'Job "api" (attempt 2) is not failed (status: running); RETRY_JOB rejected',
      });
      expect(kit.send({ type: 'RETRY_JOB', jobId: 'apj' })).toEqual({
        accepted: false,
        reason: 'No job "apj" in plan "p"; RETRY_JOB rejected',
      });
      await kit.complete('api');
      expect(kit.send({ type: 'RETRY_JOB', jobId: 'api' })).toEqual({
        accepted: false,
        reason: 'Plan "p" is finished (status: completed); RETRY_JOB rejected',
      });
      // events$ completed with the plan; the last answer is returned (and would reach a store).
      expect(kit.sequence(/^rejected/)).toEqual([
        'rejected RETRY_JOB api',
        'rejected RETRY_JOB apj',
      ]);
      kit.checkInvariants();
    });
  });
});
