import { describe, expect, it } from 'vitest';
import type { PlanView } from '../src/index.js';
import { createTestOrchestrator } from '../src/testing/index.js';

describe('view$ and events$', () => {
  it('view$ emits the current view, one view per burst of changes, and the final view before completing', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      maxParallel: 3,
      jobs: [{ id: 'A' }, { id: 'B' }, { id: 'C' }],
    });
    const views: PlanView[] = [];
    let completed = false;
    kit.orchestrator.view$.subscribe({
      next: (v) => views.push(v),
      complete: () => (completed = true),
    });
    expect(views.map((v) => v.jobs.length)).toEqual([3]); // the current view, before start
    await kit.start();
    const afterStart = views.length;
    for (const id of ['A', 'B', 'C']) kit.attempt(id).resolve();
    await kit.flush();
    // Three completions in one tick (a dozen events) give one view, plus the final one.
    expect(views.length - afterStart).toBe(2);
    expect(views.at(-1)).toMatchObject({ status: 'completed', counts: { succeeded: 3 } });
    expect(completed).toBe(true);
  });

  it('events$ numbers records in order and stamps them with the clock', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      jobs: [{ id: 'A', retry: { maxAttempts: 2, initialDelayMs: 250 } }],
    });
    await kit.start();
    await kit.fail('A');
    await kit.advance(250);
    await kit.complete('A');
    expect(kit.records.map((r) => r.seq)).toEqual(kit.records.map((_, i) => i + 1));
    expect(kit.records.find((r) => r.type === 'attempt-started' && r.attempt === 2)?.at).toBe(250);
    expect(kit.view().jobs[0]).toMatchObject({ startedAt: 250, endedAt: 250 });
  });
});
