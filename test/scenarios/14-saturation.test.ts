import { describe, expect, it } from 'vitest';
import { createTestOrchestrator } from '../../src/testing/index.js';
import { orderName, permutations } from '../support/orders.js';

const running = (kit: ReturnType<typeof createTestOrchestrator>) =>
  kit.view().jobs.filter((j) => j.status === 'running' || j.status === 'retrying').length;

describe('scenario 14: maxParallel saturation', () => {
  for (const order of permutations(['A', 'C'])) {
    it(`never runs more than 2 of 5 jobs, counting retries and completions landing together (${orderName(order)})`, async () => {
      const kit = createTestOrchestrator({
        id: 'p',
        maxParallel: 2,
        defaultRetry: { maxAttempts: 2, initialDelayMs: 100 },
        jobs: ['A', 'B', 'C', 'D', 'E'].map((id) => ({ id })),
      });
      let peak = 0;
      kit.orchestrator.events$.subscribe(() => {
        peak = Math.max(peak, running(kit));
      });
      await kit.start();
      expect(kit.pending().map((a) => a.jobId)).toEqual(['A', 'B']);
      // A fails once (retry keeps its slot), B completes in the same tick.
      kit.attempt('A').reject();
      kit.attempt('B').resolve();
      await kit.flush();
      expect(kit.pending().map((a) => a.jobId)).toEqual(['C']);
      await kit.advance(100);
      expect(kit.pending().map((a) => a.attemptId)).toEqual(['C#1', 'A#2']);
      // Both complete in one tick: D and E start together, still two at a time.
      for (const id of order) kit.attempt(id).resolve();
      await kit.flush();
      expect(
        kit
          .pending()
          .map((a) => a.jobId)
          .sort(),
      ).toEqual(['D', 'E']);
      await kit.complete('D');
      await kit.complete('E');
      expect(kit.view().status).toBe('completed');
      expect(peak).toBe(2);
      kit.checkInvariants();
    });
  }
});
