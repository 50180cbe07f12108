import { describe, expect, it } from 'vitest';
import { createOrchestrator } from '../src/index.js';

/**
 * Jobs that each wait until every one of them has started: they can only finish if the plan runs
 * all of them at once, so any limit below `maxParallel` deadlocks the plan.
 */
function barrierPlan(id: string, n: number, maxParallel: number) {
  let started = 0;
  let openBarrier!: () => void;
  const barrier = new Promise<void>((resolve) => {
    openBarrier = resolve;
  });
  return {
    id,
    maxParallel,
    jobs: Array.from({ length: n }, (_, i) => ({
      id: `j${i}`,
      run: async () => {
        if (++started === n) openBarrier();
        await barrier;
        return i;
      },
    })),
  };
}

describe('maxParallel', () => {
  it('completes 600 jobs that each wait for all 600 to have started, with maxParallel 600', async () => {
    const orchestrator = createOrchestrator(barrierPlan('barrier-600', 600, 600));
    let running = 0;
    let peak = 0;
    orchestrator.events$.subscribe((record) => {
      if (record.type === 'attempt-started') peak = Math.max(peak, ++running);
      if (record.type === 'job-succeeded') running--;
    });
    orchestrator.start();
    const view = await orchestrator.whenSettled();

    expect(view.status).toBe('completed');
    expect(view.counts.succeeded).toBe(600);
    expect(peak).toBe(600);
  });

  it('runs 5,000 jobs that wait for each other all at once when maxParallel is far above the plan', async () => {
    const orchestrator = createOrchestrator(barrierPlan('barrier-wide', 5_000, 1_000_000));
    orchestrator.start();
    const view = await orchestrator.whenSettled();

    expect(view.status).toBe('completed');
    expect(view.counts.succeeded).toBe(5_000);
    expect(view.jobs[4_999]?.output).toBe(4_999);
  });

  it('cancels 600 running jobs held in groups: each one sees its signal aborted and the plan ends canceled', async () => {
    const n = 600;
    let started = 0;
    let aborted = 0;
    let allStarted!: () => void;
    const running = new Promise<void>((resolve) => {
      allStarted = resolve;
    });
    const orchestrator = createOrchestrator({
      id: 'cancel-grouped',
      maxParallel: n,
      jobs: Array.from({ length: n }, (_, i) => ({
        id: `j${i}`,
        run: ({ signal }: { signal: AbortSignal }) =>
          new Promise<void>((_, reject) => {
            signal.addEventListener('abort', () => {
              aborted++;
              reject(signal.reason);
            });
            if (++started === n) allStarted();
          }),
      })),
    });
    orchestrator.start();
    await running;
    expect(orchestrator.cancel('stop')).toEqual({ accepted: true });
    const view = await orchestrator.whenSettled();

    expect(view.status).toBe('canceled');
    expect(view.counts.canceled).toBe(n);
    expect(aborted).toBe(n);
  });
});
