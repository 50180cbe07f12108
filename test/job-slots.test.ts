import { describe, expect, it } from 'vitest';
import { createTestOrchestrator } from '../src/testing/index.js';

const retry = (initialDelayMs: number) => ({
  maxAttempts: 2,
  initialDelayMs,
  factor: 1,
  maxDelayMs: initialDelayMs,
  jitter: 0,
});

describe('a job actor that takes the next job', () => {
  it('runs it untouched by the timers of the job it ran before', async () => {
    const kit = createTestOrchestrator({
      id: 'slots',
      maxParallel: 1,
      onJobFailure: 'continue',
      jobs: [
        { id: 'A', retry: retry(1_000) },
        { id: 'B', retry: retry(5_000) },
      ],
    });
    await kit.start();
    await kit.fail('A'); // A waits 1 s before its second attempt
    kit.send({ type: 'SKIP_JOB', jobId: 'A' });
    await kit.flush();
    await kit.fail('B'); // B, in the actor A left, waits 5 s before its second attempt
    expect(kit.view().jobs.map((job) => job.status)).toEqual(['skipped', 'retrying']);

    await kit.advance(1_000); // when A's delay would have ended
    expect(kit.pending()).toEqual([]);
    expect(kit.sequence(/^due/)).toEqual([]);

    await kit.advance(4_000);
    expect(kit.sequence(/^due/)).toEqual(['due B#2']);
    await kit.complete('B');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });
});
