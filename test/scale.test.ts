import { describe, expect, it } from 'vitest';
import { JOB_GROUP_SIZE } from '../machines/job-group.machine.js';
import { createTestOrchestrator } from '../src/testing/index.js';

describe('scale', () => {
  it('runs 10,000 independent jobs that complete in one microtask, never more than 8 at once', async () => {
    const n = 10_000;
    const kit = createTestOrchestrator({
      id: 'wide',
      maxParallel: 8,
      jobs: Array.from({ length: n }, (_, i) => ({ id: `j${i}`, run: () => Promise.resolve(i) })),
    });
    let live = 0;
    let peak = 0;
    let peakChildren = 0;
    kit.orchestrator.events$.subscribe((record) => {
      if (record.type === 'attempt-started') peak = Math.max(peak, ++live);
      if (record.type === 'job-succeeded') live--;
    });
    kit.orchestrator.actor.subscribe((snapshot) => {
      peakChildren = Math.max(peakChildren, Object.keys(snapshot.children).length);
    });
    await kit.start();
    const view = await kit.orchestrator.whenSettled();

    expect(view.status).toBe('completed');
    expect(view.counts.succeeded).toBe(n);
    expect(view.jobs[n - 1]?.output).toBe(n - 1);
    expect(peak).toBe(8);
    // Job actors are retired as their jobs settle: the plan never holds more than maxParallel.
    expect(peakChildren).toBeLessThanOrEqual(8);
    kit.checkInvariants();
  });

  it('runs all 1,000 independent jobs at once with maxParallel far above the plan, in groups of job actors', async () => {
    const n = 1_000;
    const kit = createTestOrchestrator({
      id: 'wide-unlimited',
      maxParallel: 1_000_000,
      jobs: Array.from({ length: n }, (_, i) => ({ id: `j${i}`, run: () => Promise.resolve(i) })),
    });
    let live = 0;
    let peak = 0;
    kit.orchestrator.events$.subscribe((record) => {
      if (record.type === 'attempt-started') peak = Math.max(peak, ++live);
      if (record.type === 'job-succeeded') live--;
    });
    const planChildren = new Set<string>();
    kit.orchestrator.actor.subscribe((snapshot) => {
      for (const id of Object.keys(snapshot.children)) planChildren.add(id);
    });
    await kit.start();
    const view = await kit.orchestrator.whenSettled();
    expect(view.counts.succeeded).toBe(n);
    expect(peak).toBe(n);
    // No children map holds them all: the plan holds groups of at most JOB_GROUP_SIZE job actors.
    const groups = Math.ceil(n / JOB_GROUP_SIZE);
    expect([...planChildren].sort()).toEqual(
      Array.from({ length: groups }, (_, i) => `jobs-${i}`).sort(),
    );
    expect(groups).toBeLessThan(n / 10);
    kit.checkInvariants();
  });
});
