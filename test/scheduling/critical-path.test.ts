import { describe, expect, it } from 'vitest';
import { type JobRecord, newJobRecord } from '../../machines/plan/context.js';
import { rankJobs } from '../../machines/plan/critical-path.js';
import { NO_RETRY } from '../../machines/retry.js';
import { MemoryStore } from '../../src/index.js';
import {
  createTestOrchestrator,
  resumeTestOrchestrator,
  type TestOrchestrator,
} from '../../src/testing/index.js';
import type { TestJobSpec } from '../../src/testing/test-plan.js';

/**
 * Runs a plan whose jobs take the given simulated durations: each started attempt ends when its
 * duration has passed, the earliest first (attempts ending together in the order they started).
 * Returns the jobs in the order they started and the most that ran at once.
 */
async function runTimed(
  kit: TestOrchestrator,
  durations: Record<string, number>,
): Promise<{ started: string[]; peak: number }> {
  await kit.start();
  const endsAt = new Map<string, number>();
  const started: string[] = [];
  let peak = 0;
  let now = 0;
  for (;;) {
    const running = kit.pending();
    for (const { jobId } of running) {
      if (endsAt.has(jobId)) continue;
      endsAt.set(jobId, now + durations[jobId]!);
      started.push(jobId);
    }
    peak = Math.max(peak, running.length);
    if (running.length === 0) break;
    now = Math.min(...running.map(({ jobId }) => endsAt.get(jobId)!));
    for (const attempt of running) if (endsAt.get(attempt.jobId) === now) attempt.resolve();
    await kit.flush();
  }
  expect(kit.view().status).toBe('completed');
  return { started, peak };
}

//      A
//  B   C   D      B, C and D need A; E and F need C.
//     E F
const shape = (priorities: Record<string, number>): TestJobSpec[] =>
  [
    { id: 'A' },
    { id: 'B', dependsOn: ['A'] },
    { id: 'C', dependsOn: ['A'] },
    { id: 'D', dependsOn: ['A'] },
    { id: 'E', dependsOn: ['C'] },
    { id: 'F', dependsOn: ['C'] },
  ].map((job) => ({ ...job, priority: priorities[job.id] ?? 0 }));

describe('critical-path priority', () => {
  it('starts the jobs a high-priority job needs before unrelated work, one at a time', async () => {
    const kit = createTestOrchestrator({ id: 'p', maxParallel: 1, jobs: shape({ F: 16 }) });
    const { started } = await runTimed(kit, { A: 1, B: 1, C: 1, D: 1, E: 1, F: 1 });
    // A → C → F is the critical path: C ranks 16 through F, so it goes ahead of B and D.
    expect(started).toEqual(['A', 'C', 'F', 'B', 'D', 'E']);
    kit.checkInvariants();
  });

  it('starts the critical path first with two slots, where priorities stand for durations', async () => {
    const durations = { A: 1, B: 16, C: 4, D: 4, E: 12, F: 16 };
    const kit = createTestOrchestrator({ id: 'p', maxParallel: 2, jobs: shape(durations) });
    const { started, peak } = await runTimed(kit, durations);
    expect(peak).toBe(2);
    // C ranks 4 + 16 = 20 through F, above B's 16; F goes before E, and B before D.
    expect(started).toEqual(['A', 'C', 'B', 'F', 'E', 'D']);
    kit.checkInvariants();
  });

  // The README's example (Concepts, Priority).
  it('ranks a job by its own priority plus the highest downstream, never lowered by a negative one', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      maxParallel: 1,
      jobs: [
        { id: 'setup' },
        { id: 'lint', dependsOn: ['setup'], priority: 1 },
        { id: 'compile', dependsOn: ['setup'] },
        { id: 'docs', dependsOn: ['setup'], priority: -1 },
        { id: 'release', dependsOn: ['compile'], priority: 5 },
        { id: 'archive', dependsOn: ['docs'], priority: -3 },
      ],
    });
    const { started } = await runTimed(kit, {
      setup: 1,
      lint: 1,
      compile: 1,
      docs: 1,
      release: 1,
      archive: 1,
    });
    // compile ranks 5 (release needs it), lint 1, docs -1 (archive's -3 counts as 0).
    expect(started).toEqual(['setup', 'compile', 'release', 'lint', 'docs', 'archive']);
  });

  it('raises the jobs that a job added while the plan runs needs', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      mode: 'supervisor',
      maxParallel: 1,
      jobs: [{ id: 'A' }, { id: 'B', dependsOn: ['A'] }, { id: 'C', dependsOn: ['A'] }],
    });
    await kit.start();
    kit.send({ type: 'APPROVE' });
    await kit.flush();
    expect(kit.pending().map((a) => a.jobId)).toEqual(['A']);
    kit.send({ type: 'ADD_JOB', job: { id: 'urgent', dependsOn: ['C'], priority: 3 } });
    kit.send({ type: 'APPROVE', checkpoint: 'pre_change' });
    await kit.flush();
    await kit.complete('A');
    expect(kit.pending().map((a) => a.jobId)).toEqual(['C']);
    await kit.complete('C');
    expect(kit.pending().map((a) => a.jobId)).toEqual(['urgent']);
  });
});

describe('critical-path priority after a restart', () => {
  for (const snapshotEvery of [undefined, 1]) {
    it(`ranks the restored plan's ready jobs as before the crash (${snapshotEvery ? 'from a snapshot' : 'from the journal'})`, async () => {
      const plan = { id: 'p', maxParallel: 1, jobs: shape({ F: 16 }) };
      const store = new MemoryStore();
      const first = createTestOrchestrator(plan, { store, snapshotEvery });
      await first.start();
      first.send({ type: 'PAUSE' }); // B, C and D become ready while nothing may start
      await first.complete('A');
      expect(first.pending()).toEqual([]);
      const kit = await resumeTestOrchestrator(plan, store, { snapshotEvery });
      await kit.start();
      kit.send({ type: 'RESUME' });
      await kit.flush();
      expect(kit.pending().map((a) => a.jobId)).toEqual(['C']);
      await kit.complete('C');
      expect(kit.pending().map((a) => a.jobId)).toEqual(['F']);
    });
  }
});

describe('rankJobs', () => {
  it('ranks a chain of 100,000 jobs by the sum of the priorities after each', () => {
    const count = 100_000;
    const order = Array.from({ length: count }, (_, i) => `j${i}`);
    const jobs: Record<string, JobRecord> = Object.create(null);
    order.forEach((id, i) => {
      const input = { id, dependsOn: i > 0 ? [`j${i - 1}`] : [], priority: 1, retry: NO_RETRY };
      jobs[id] = newJobRecord({ ...input, timeoutMs: null, verify: false }, i);
      if (i > 0) jobs[`j${i - 1}`]!.dependents.push(id);
    });
    rankJobs(order, jobs);
    expect(jobs.j0!.pathPriority).toBe(count);
    expect(jobs[`j${count - 1}`]!.pathPriority).toBe(1);
  });
});
