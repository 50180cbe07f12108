import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/index.js';
import { findPlanIssues } from '../../src/plan/validate.js';
import {
  createTestOrchestrator,
  resumeTestOrchestrator,
  type TestPlanSpec,
} from '../../src/testing/index.js';

const deploy: TestPlanSpec = {
  id: 'release',
  maxParallel: 2,
  jobs: [
    { id: 'deploy', onInterrupt: 'hold' },
    { id: 'lint' },
    { id: 'announce', dependsOn: ['deploy'] },
  ],
};

/** Starts `plan` and abandons it (as a SIGKILL would) while `deploy` and `lint` run. */
async function crashWhileRunning(plan: TestPlanSpec): Promise<MemoryStore> {
  const store = new MemoryStore();
  const kit = createTestOrchestrator(plan, { store });
  await kit.start();
  expect(kit.pending().map((a) => a.attemptId)).toEqual(['deploy#1', 'lint#1']);
  return store;
}

async function resumeHeld(plan: TestPlanSpec) {
  const kit = await resumeTestOrchestrator(plan, await crashWhileRunning(plan));
  await kit.start();
  return kit;
}

describe("onInterrupt: 'hold' — an interrupted attempt waits for a person instead of running again", () => {
  it('holds the interrupted job at on_error with kind interrupted, and does not start it again', async () => {
    const kit = await resumeHeld(deploy);
    expect(kit.view()).toMatchObject({
      status: 'paused',
      checkpoint: { name: 'on_error', jobId: 'deploy', kind: 'interrupted' },
    });
    expect(kit.view().checkpoint).toMatchObject({
      error: { message: expect.stringContaining('deploy#1 was running when the process stopped') },
    });
    expect(kit.sequence(/interrupted|failed|queued/)).toEqual([
      'interrupted deploy#1',
      'failed deploy#1 interrupted',
      'interrupted lint#1',
      'queued lint',
    ]);
    expect(kit.pending()).toEqual([]);
    kit.checkInvariants();
  });

  it('RETRY_JOB runs the held job again as its next attempt', async () => {
    const kit = await resumeHeld(deploy);
    expect(kit.send({ type: 'RETRY_JOB', jobId: 'deploy' })).toEqual({ accepted: true });
    await kit.flush();
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['deploy#2', 'lint#2']);
    await kit.complete('deploy', 'v2');
    await kit.complete('lint');
    await kit.complete('announce');
    expect(kit.view().status).toBe('completed');
    expect(kit.view().jobs[0]).toMatchObject({ output: 'v2', attempt: 2 });
    kit.checkInvariants();
  });

  it('APPROVE accepts the interrupted work as done: the job succeeds with no output and its dependents run', async () => {
    const kit = await resumeHeld(deploy);
    expect(kit.send({ type: 'APPROVE' })).toEqual({ accepted: true });
    await kit.flush();
    expect(kit.view().jobs[0]).toMatchObject({ status: 'succeeded', attempt: 1 });
    expect(kit.view().jobs[0]!.output).toBeUndefined();
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['lint#2', 'announce#1']);
    await kit.complete('lint');
    await kit.complete('announce');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });

  it('SKIP_JOB skips the held job; its dependents follow the skip policy', async () => {
    const kit = await resumeHeld(deploy);
    expect(kit.send({ type: 'SKIP_JOB', jobId: 'deploy' })).toEqual({ accepted: true });
    await kit.flush();
    await kit.complete('lint');
    expect(kit.view()).toMatchObject({
      status: 'failed',
      jobs: [{ status: 'skipped' }, { status: 'succeeded' }, { status: 'blocked' }],
    });
    kit.checkInvariants();
  });

  it("holds under a plan-wide onInterrupt whatever onJobFailure says ('continue')", async () => {
    const plan: TestPlanSpec = {
      ...deploy,
      onJobFailure: 'continue',
      onInterrupt: 'hold',
      jobs: deploy.jobs.map(({ onInterrupt: _, ...job }) => job),
    };
    const kit = await resumeHeld(plan);
    expect(kit.view()).toMatchObject({
      status: 'paused',
      checkpoint: { name: 'on_error', jobId: 'deploy', kind: 'interrupted' },
    });
    // The plan-wide policy holds every interrupted job: lint waits for a decision too.
    expect(kit.view().jobs[1]).toMatchObject({
      status: 'failed',
      failure: { kind: 'interrupted' },
    });
  });

  it('stays held across a second restart before anyone decided', async () => {
    const store = await crashWhileRunning(deploy);
    const first = await resumeTestOrchestrator(deploy, store);
    await first.start();
    const again = await resumeTestOrchestrator(deploy, store);
    await again.start();
    expect(again.view()).toMatchObject({
      status: 'paused',
      checkpoint: { name: 'on_error', jobId: 'deploy', kind: 'interrupted' },
    });
    expect(again.pending()).toEqual([]);
    again.send({ type: 'APPROVE' });
    await again.flush();
    await again.complete('lint');
    await again.complete('announce');
    expect(again.view().status).toBe('completed');
  });

  it('leaves the default at-least-once: without onInterrupt the attempt runs again', async () => {
    const plan: TestPlanSpec = {
      ...deploy,
      jobs: deploy.jobs.map(({ onInterrupt: _, ...j }) => j),
    };
    const kit = await resumeHeld(plan);
    expect(kit.view().status).toBe('running');
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['deploy#2', 'lint#2']);
  });

  it('rejects an unknown onInterrupt, naming the job, the value and the choices', () => {
    const issues = findPlanIssues({
      id: 'p',
      onInterrupt: 'never' as never,
      jobs: [{ id: 'a', run: async () => 1, onInterrupt: 'hodl' as never }],
    });
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ['onInterrupt', 'onInterrupt must be one of "rerun", "hold"; got "never" (string)'],
      [
        'jobs[0].onInterrupt',
        'onInterrupt must be one of "rerun", "hold"; got "hodl" (string); did you mean "hold"?',
      ],
    ]);
  });
});
