import { describe, expect, it } from 'vitest';
import { JobAbortedError } from '../../src/index.js';
import { createTestOrchestrator } from '../../src/testing/index.js';

describe('scenario 4: completion during cancel', () => {
  for (const lateOrder of [
    ['A', 'B'],
    ['B', 'A'],
  ]) {
    it(`cancels, aborts both signals and records late results as ignored (${lateOrder.join(' then ')})`, async () => {
      const kit = createTestOrchestrator({
        id: 'p',
        maxParallel: 2,
        jobs: [{ id: 'A' }, { id: 'B' }, { id: 'C', dependsOn: ['A', 'B'] }],
      });
      const ended: string[] = [];
      kit.orchestrator.events$.subscribe({ complete: () => ended.push('events$ complete') });
      await kit.start();
      const a = kit.attempt('A');
      const b = kit.attempt('B');

      expect(kit.orchestrator.cancel('operator stop')).toEqual({ accepted: true });
      await kit.flush();
      expect(kit.view().status).toBe('canceled');
      expect(a.signal.aborted).toBe(true);
      expect(b.signal.aborted).toBe(true);
      expect(a.signal.reason).toBeInstanceOf(JobAbortedError);
      expect((a.signal.reason as JobAbortedError).code).toBe('JOB_CANCELED');
      expect(ended).toEqual([]); // two attempts have not reported yet

      for (const id of lateOrder) {
        if (id === 'A') a.resolve('too late');
        else b.reject(new Error('aborted'));
      }
      await kit.flush();
      expect(kit.sequence(/^ignored/)).toEqual(
        lateOrder.map((id) =>
          id === 'A' ? 'ignored JOB_COMPLETED A#1' : 'ignored JOB_FAILED B#1',
        ),
      );
      expect(kit.view().jobs.map((j) => j.status)).toEqual(['canceled', 'canceled', 'canceled']);
      expect(kit.sequence(/^(canceled|completed|failed)$/)).toEqual(['canceled']);
      expect(ended).toEqual(['events$ complete']);
      await expect(kit.orchestrator.whenSettled()).resolves.toMatchObject({ status: 'canceled' });
      kit.checkInvariants();
    });
  }

  it('rejects commands once the plan is canceled, with the reason', async () => {
    const kit = createTestOrchestrator({ id: 'p', jobs: [{ id: 'A' }] });
    await kit.start();
    kit.orchestrator.cancel();
    await kit.flush();
    expect(kit.send({ type: 'RETRY_JOB', jobId: 'A' })).toEqual({
      accepted: false,
      reason: 'Plan "p" is finished (status: canceled); RETRY_JOB rejected',
    });
    expect(kit.sequence(/^rejected/)).toEqual(['rejected RETRY_JOB A']);
  });
});
