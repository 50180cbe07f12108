import { describe, expect, it } from 'vitest';
import { createTestOrchestrator } from '../../src/testing/index.js';

describe('scenario 5: chain of depth N', () => {
  it('runs a chain of 1,000 one job at a time, each started in the tick its dependency succeeded', async () => {
    const n = 1000;
    const jobs = Array.from({ length: n }, (_, i) => ({
      id: `j${i}`,
      ...(i > 0 ? { dependsOn: [`j${i - 1}`] } : {}),
      run: async () => i,
    }));
    const kit = createTestOrchestrator({ id: 'chain', maxParallel: 8, jobs });
    let running = 0;
    let peak = 0;
    kit.orchestrator.events$.subscribe((record) => {
      if (record.type === 'attempt-started') peak = Math.max(peak, ++running);
      if (record.type === 'job-succeeded') running--;
    });
    await kit.start();
    await kit.orchestrator.whenSettled();

    expect(kit.view().status).toBe('completed');
    expect(peak).toBe(1);
    // Each start directly follows its dependency's success: no pass was skipped or delayed.
    const lines = kit.sequence(/^(succeeded|start)/);
    for (let i = 1; i < n; i++) {
      expect(lines.indexOf(`start j${i}#1`)).toBe(lines.indexOf(`succeeded j${i - 1}#1`) + 1);
    }
    expect(kit.clock.pendingTimers()).toEqual([]);
    kit.checkInvariants();
  });
});
