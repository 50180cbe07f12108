import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTestOrchestrator, type TestPlanSpec } from '../src/testing/index.js';

/** A random DAG: each job may depend on earlier ones; sometimes with an integration stage. */
const planArb = fc
  .record({
    stage: fc.constantFrom('none', 'completion', 'strict'),
    size: fc.integer({ min: 1, max: 7 }),
    maxParallel: fc.integer({ min: 1, max: 4 }),
    onJobFailure: fc.constantFrom('pause', 'continue', 'fail'),
    edges: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 12 }),
    maxAttempts: fc.integer({ min: 1, max: 2 }),
  })
  .map(({ stage, size, maxParallel, onJobFailure, edges, maxAttempts }): TestPlanSpec => {
    const deps = Array.from({ length: size }, () => new Set<string>());
    for (const [a, b] of edges) {
      const from = a % size;
      const to = b % size;
      if (from < to) deps[to]!.add(`j${from}`);
    }
    return {
      id: 'random',
      maxParallel,
      onJobFailure: onJobFailure as TestPlanSpec['onJobFailure'],
      defaultRetry: { maxAttempts, initialDelayMs: 10 },
      jobs: deps.map((d, i) => ({ id: `j${i}`, dependsOn: [...d] })),
      ...(stage === 'none'
        ? {}
        : { integration: { integrate: 'manual', order: stage as 'strict' | 'completion' } }),
    };
  });

/** What the test does at each step: settle an attempt or an integration, retry, or let time pass. */
const stepArb = fc.record({
  pick: fc.nat(),
  outcome: fc.constantFrom('ok', 'ok', 'fail', 'tick', 'retry', 'merge', 'conflict'),
});

describe('random plans and event orders', () => {
  it('keep every invariant at every step and always finish', async () => {
    await fc.assert(
      fc.asyncProperty(
        planArb,
        fc.array(stepArb, { minLength: 1, maxLength: 60 }),
        async (plan, steps) => {
          const kit = createTestOrchestrator(plan);
          await kit.start();
          const act = async (step: { pick: number; outcome: string }) => {
            const pending = kit.pending();
            const failed = kit.view().jobs.filter((j) => j.status === 'failed');
            const hooks = kit.pendingHooks();
            if (step.outcome === 'retry' && failed.length > 0) {
              kit.send({ type: 'RETRY_JOB', jobId: failed[step.pick % failed.length]!.id });
            } else if (
              (step.outcome === 'merge' || step.outcome === 'conflict') &&
              hooks.length > 0
            ) {
              if (step.outcome === 'merge') hooks[0]!.resolve();
              else hooks[0]!.reject(new Error('conflict'));
            } else if (step.outcome === 'tick' || pending.length === 0) {
              kit.clock.advance(10);
            } else {
              const attempt = pending[step.pick % pending.length]!;
              if (step.outcome === 'fail') attempt.reject(new Error('x'));
              else attempt.resolve(attempt.attemptId);
            }
            await kit.flush();
            kit.checkInvariants();
          };
          for (const step of steps) await act(step);
          // Drive to the end: complete everything, accept failures still holding the plan.
          for (
            let guard = 0;
            guard < 200 && !['completed', 'failed', 'canceled'].includes(kit.view().status);
            guard++
          ) {
            if (kit.view().status === 'paused') kit.send({ type: 'APPROVE' });
            await act({ pick: 0, outcome: kit.pendingHooks().length > 0 ? 'merge' : 'ok' });
          }
          const view = kit.view();
          expect(['completed', 'failed']).toContain(view.status);
          for (const job of view.jobs) {
            if (job.status === 'succeeded') {
              for (const dep of job.dependsOn)
                expect(view.jobs.find((j) => j.id === dep)?.status).toBe('succeeded');
            }
          }
          expect(view.status === 'completed').toBe(
            view.jobs.every((j) => j.status === 'succeeded'),
          );
          kit.checkInvariants();
        },
      ),
      { numRuns: 150, seed: 20261124 },
    );
  });
});
