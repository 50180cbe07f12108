import { describe, expect, it } from 'vitest';
import { createTestOrchestrator } from '../../src/testing/index.js';

describe('scenario 2: duplicate and late results', () => {
  it('records a second JOB_COMPLETED for the same attempt as ignored, with no regression', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      jobs: [{ id: 'A' }, { id: 'B', dependsOn: ['A'] }],
    });
    await kit.start();
    await kit.complete('A', 1);
    kit.deliver({ type: 'JOB_COMPLETED', jobId: 'A', attemptId: 'A#1', output: 2 });
    await kit.flush();

    const a = kit.view().jobs.find((j) => j.id === 'A')!;
    expect(a.status).toBe('succeeded');
    expect(a.output).toBe(1);
    expect(kit.sequence(/A#/)).toEqual([
      'start A#1',
      'running A#1',
      'succeeded A#1',
      'ignored JOB_COMPLETED A#1',
    ]);
    expect(kit.records.at(-1)).toMatchObject({
      type: 'result-ignored',
      why: 'job is already succeeded',
    });
    // B started exactly once, after the first result.
    expect(kit.sequence(/^start B/)).toEqual(['start B#1']);
    await kit.complete('B');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });

  it('ignores a failure for an attempt that is not current, and one for an unknown job', async () => {
    const kit = createTestOrchestrator({ id: 'p', jobs: [{ id: 'A' }] });
    await kit.start();
    const error = { name: 'Error', message: 'late' };
    kit.deliver({
      type: 'JOB_FAILED',
      jobId: 'A',
      attemptId: 'A#7',
      error,
      kind: 'job_failed',
      willRetry: false,
    });
    kit.deliver({ type: 'JOB_COMPLETED', jobId: 'ghost', attemptId: 'ghost#1', output: null });
    await kit.flush();
    expect(
      kit.records
        .filter((r) => r.type === 'result-ignored')
        .map((r) => r.type === 'result-ignored' && r.why),
    ).toEqual(['attempt is not current (current: A#1)', 'no job "ghost" in this plan']);
    expect(kit.view().jobs[0]?.status).toBe('running');
    await kit.complete('A');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });
});
