import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/index.js';
import { placementProgress } from '../../src/shared/placement.js';
import {
  createTestOrchestrator,
  resumeTestOrchestrator,
  TestClock,
} from '../../src/testing/index.js';

const plan = {
  id: 'timed',
  maxParallel: 2,
  jobs: [{ id: 'build' }, { id: 'test' }, { id: 'ship', dependsOn: ['build', 'test'] }],
};

describe('the view of a resumed plan', () => {
  it('knows when the jobs of the earlier run started and ended, and where one ran, before any reports again', async () => {
    const store = new MemoryStore();
    const clock = new TestClock(1_000);
    const first = createTestOrchestrator(plan, { store, clock });
    await first.start();
    first.attempt('build').report(placementProgress('worker-7'));
    await first.advance(500);
    await first.complete('build', 'bin');
    const before = first.view().jobs.find((job) => job.id === 'build')!;
    expect(before).toMatchObject({ startedAt: 1_000, endedAt: 1_500, worker: 'worker-7' });

    // The process stops with `test` running; another one resumes the plan later.
    const kit = await resumeTestOrchestrator(plan, store, { clock: new TestClock(9_000) });
    await kit.start();
    const build = kit.view().jobs.find((job) => job.id === 'build')!;
    expect(build).toMatchObject({
      status: 'succeeded',
      startedAt: 1_000,
      endedAt: 1_500,
      worker: 'worker-7',
    });
    await kit.complete('test');
    await kit.complete('ship');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });
});
