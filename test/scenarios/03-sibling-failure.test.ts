import { describe, expect, it } from 'vitest';
import { createTestOrchestrator } from '../../src/testing/index.js';
import { orderName, permutations } from '../support/orders.js';

describe('scenario 3: one sibling fails while others complete', () => {
  for (const order of permutations(['A', 'B', 'C'])) {
    it(`pauses at on_error naming A, keeps B and C, and finishes after RETRY_JOB (order ${orderName(order)})`, async () => {
      const kit = createTestOrchestrator({
        id: 'p',
        maxParallel: 3,
        onJobFailure: 'pause',
        jobs: [{ id: 'A' }, { id: 'B' }, { id: 'C' }],
      });
      await kit.start();
      for (const id of order) {
        if (id === 'A') kit.attempt('A').reject(new Error('boom'));
        else kit.attempt(id).resolve(id);
      }
      await kit.flush();

      let view = kit.view();
      expect(view.status).toBe('paused');
      expect(view.checkpoint).toMatchObject({ name: 'on_error', jobId: 'A', kind: 'job_failed' });
      expect(view.jobs.map((j) => [j.id, j.status])).toEqual([
        ['A', 'failed'],
        ['B', 'succeeded'],
        ['C', 'succeeded'],
      ]);
      expect(view.jobs[0]?.failure?.error.message).toBe('boom');
      kit.checkInvariants();

      expect(kit.send({ type: 'RETRY_JOB', jobId: 'A' })).toEqual({ accepted: true });
      await kit.flush();
      expect(kit.attempt('A').attemptId).toBe('A#2');
      await kit.complete('A', 'a');
      view = kit.view();
      expect(view.status).toBe('completed');
      expect(view.jobs.map((j) => j.output)).toEqual(['a', 'B', 'C']);
      expect(kit.sequence(/^(paused|resumed|accepted|completed)/)).toEqual([
        'paused on_error A',
        'accepted RETRY_JOB A',
        'resumed',
        'completed',
      ]);
      kit.checkInvariants();
    });
  }
});
