import { describe, expect, it } from 'vitest';
import { MemoryStore, ResumeJobsMissingError } from '../../src/index.js';
import {
  createTestOrchestrator,
  resumeTestOrchestrator,
  TestClock,
  type TestPlanSpec,
} from '../../src/testing/index.js';

/** Runs `plan` until `stop` returns, then abandons it as a killed process would. */
async function crashAfter(
  plan: TestPlanSpec,
  stop: (kit: ReturnType<typeof createTestOrchestrator>) => Promise<void>,
  clock = new TestClock(),
) {
  const store = new MemoryStore();
  const kit = createTestOrchestrator(plan, { store, clock });
  await kit.start();
  await stop(kit);
  return { store, kit };
}

describe('scenario 15: restart with live jobs', () => {
  it('does not run A again; B and C run again as attempt 2 after attempt 1 was interrupted', async () => {
    const plan: TestPlanSpec = {
      id: 'p',
      maxParallel: 3,
      jobs: [{ id: 'A' }, { id: 'B' }, { id: 'C' }, { id: 'D', dependsOn: ['A'] }],
    };
    const { store } = await crashAfter(plan, async (kit) => {
      kit.send({ type: 'PAUSE' }); // D must not start: the crash finds exactly B and C running
      await kit.complete('A', 'a');
    });
    const kit = await resumeTestOrchestrator(plan, store);
    await kit.start();
    expect(kit.sequence(/^(restored|interrupted|start)/)).toEqual([
      `restored from ${kit.records[0]!.seq - 1}`,
      'interrupted B#1',
      'interrupted C#1',
    ]);
    expect(kit.view()).toMatchObject({ status: 'paused', checkpoint: { name: 'user' } });
    kit.send({ type: 'RESUME' });
    await kit.flush();
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['B#2', 'C#2', 'D#1']);
    for (const id of ['B', 'C', 'D']) kit.attempt(id).resolve(id);
    await kit.flush();
    expect(kit.view()).toMatchObject({
      status: 'completed',
      jobs: [{ output: 'a', attempt: 1 }, { attempt: 2 }, { attempt: 2 }, { attempt: 1 }],
    });
    kit.checkInvariants();
  });
});

describe('scenario 16: restart while paused', () => {
  it('stays paused at on_error for A with the same context until a command arrives', async () => {
    const plan: TestPlanSpec = {
      id: 'p',
      onJobFailure: 'pause',
      jobs: [{ id: 'A' }, { id: 'B', dependsOn: ['A'] }],
    };
    const { kit: before, store } = await crashAfter(plan, (kit) =>
      kit.fail('A', new Error('disk full')),
    );
    const checkpoint = before.view().checkpoint;
    expect(checkpoint).toMatchObject({
      name: 'on_error',
      jobId: 'A',
      error: { message: 'disk full' },
    });
    const kit = await resumeTestOrchestrator(plan, store);
    await kit.start();
    expect(kit.view()).toMatchObject({ status: 'paused', checkpoint });
    expect(kit.pending()).toEqual([]);
    kit.send({ type: 'RETRY_JOB', jobId: 'A' });
    await kit.flush();
    await kit.complete('A');
    await kit.complete('B');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });

  it('stays at pre_finalize, and does not ask again for approvals already given', async () => {
    const plan: TestPlanSpec = {
      id: 'p',
      mode: 'supervisor',
      jobs: [{ id: 'A' }],
      integration: { integrate: 'manual' },
      finalize: 'manual',
    };
    const { store } = await crashAfter(plan, async (kit) => {
      await kit.complete('A');
      kit.send({ type: 'APPROVE' });
      await kit.flush();
      kit.hookCall('integrate', 'A').resolve();
      await kit.flush();
      expect(kit.view().checkpoint).toEqual({ name: 'pre_finalize' });
    });
    const kit = await resumeTestOrchestrator(plan, store);
    await kit.start();
    expect(kit.view()).toMatchObject({ status: 'paused', checkpoint: { name: 'pre_finalize' } });
    kit.send({ type: 'APPROVE' });
    await kit.flush();
    kit.hookCall('finalize').resolve('done');
    await kit.flush();
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });
});

describe('scenario 17: restart mid-integration', () => {
  it('rolls A back, integrates it again exactly once, and never leaves it integrating', async () => {
    const plan: TestPlanSpec = {
      id: 'p',
      jobs: [{ id: 'A' }, { id: 'B' }],
      integration: { integrate: 'manual', rollback: 'manual' },
    };
    const { store } = await crashAfter(plan, async (kit) => {
      await kit.complete('A');
      expect(kit.view().jobs[0]?.status).toBe('integrating');
    });
    const kit = await resumeTestOrchestrator(plan, store);
    await kit.start();
    expect(kit.sequence(/^(interrupted|integrate)/)).toEqual([
      'interrupted A@1',
      'interrupted B#1',
      'integrate A@2',
    ]);
    expect(kit.pendingHooks().map((c) => `${c.hook} ${c.jobId}`)).toEqual(['rollback A']);
    kit.hookCall('rollback', 'A').resolve();
    await kit.flush();
    kit.hookCall('integrate', 'A').resolve();
    await kit.complete('B');
    kit.hookCall('integrate', 'B').resolve();
    await kit.flush();
    expect(kit.view().status).toBe('completed');
    expect(kit.sequence(/^integrated/)).toEqual(['integrated A@2', 'integrated B@1']);
    kit.checkInvariants();
  });
});

describe('scenario 18: restart with a pending retry delay', () => {
  it('starts attempt 2 six seconds after a restart four seconds into a ten-second delay', async () => {
    const plan: TestPlanSpec = {
      id: 'p',
      jobs: [{ id: 'A', retry: { maxAttempts: 2, initialDelayMs: 10_000 } }],
    };
    const { store } = await crashAfter(plan, async (kit) => {
      await kit.fail('A');
      await kit.advance(4000);
    });
    const kit = await resumeTestOrchestrator(plan, store, { clock: new TestClock(4000) });
    await kit.start();
    await kit.advance(5999);
    expect(kit.pending()).toEqual([]);
    await kit.advance(1);
    expect(kit.attempt('A').attemptId).toBe('A#2');
    expect(kit.clock.now()).toBe(10_000);
    await kit.complete('A');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });

  it('starts the next attempt at once when the deadline passed while the process was down', async () => {
    const plan: TestPlanSpec = {
      id: 'p',
      jobs: [{ id: 'A', retry: { maxAttempts: 2, initialDelayMs: 10_000 } }],
    };
    const { store } = await crashAfter(plan, (kit) => kit.fail('A'));
    const kit = await resumeTestOrchestrator(plan, store, { clock: new TestClock(60_000) });
    await kit.start();
    await kit.advance(0);
    expect(kit.attempt('A').attemptId).toBe('A#2');
    kit.checkInvariants();
  });
});

describe('after a restart', () => {
  it('a restored retry delay is waited out once: a later RETRY_JOB starts at once', async () => {
    const plan: TestPlanSpec = {
      id: 'p',
      onJobFailure: 'pause',
      jobs: [{ id: 'A', retry: { maxAttempts: 2, initialDelayMs: 10_000 } }],
    };
    const { store } = await crashAfter(plan, (kit) => kit.fail('A'));
    const kit = await resumeTestOrchestrator(plan, store, { clock: new TestClock(4000) });
    await kit.start();
    await kit.advance(6000);
    await kit.fail('A'); // attempt 2, the last of the budget
    kit.send({ type: 'RETRY_JOB', jobId: 'A' });
    await kit.flush();
    expect(kit.attempt('A').attemptId).toBe('A#3');
    kit.checkInvariants();
  });

  it('only the integration cut by the restart rolls back first', async () => {
    const plan: TestPlanSpec = {
      id: 'p',
      onJobFailure: 'pause',
      jobs: [{ id: 'A' }],
      integration: { integrate: 'manual', rollback: 'manual' },
    };
    const { store } = await crashAfter(plan, (kit) => kit.complete('A'));
    const kit = await resumeTestOrchestrator(plan, store);
    await kit.start();
    kit.hookCall('rollback', 'A').resolve();
    await kit.flush();
    kit.hookCall('integrate', 'A').reject(new Error('conflict'));
    await kit.flush();
    kit.send({ type: 'RETRY_JOB', jobId: 'A', from: 'integrate' });
    await kit.flush();
    expect(kit.pendingHooks().map((c) => `${c.hook} ${c.jobId}`)).toEqual(['integrate A']);
    kit.checkInvariants();
  });
});

describe('resuming', () => {
  it('refuses a finished plan, another plan, and a plan missing jobs of the journal', async () => {
    const plan: TestPlanSpec = { id: 'p', jobs: [{ id: 'A' }] };
    const { store } = await crashAfter(plan, async (kit) => {
      kit.send({ type: 'ADD_JOB', job: { id: 'B' } });
      await kit.flush();
    });
    await expect(resumeTestOrchestrator({ id: 'q', jobs: [{ id: 'A' }] }, store)).rejects.toThrow(
      'Cannot restore from the store:1: the journal is of plan "p", not "q"',
    );
    await expect(resumeTestOrchestrator(plan, store)).rejects.toBeInstanceOf(
      ResumeJobsMissingError,
    );
    await expect(resumeTestOrchestrator(plan, store)).rejects.toMatchObject({
      missing: ['B'],
      code: 'RESUME_JOBS_MISSING',
      message:
        'Plan "p" cannot resume: its journal has jobs the given plan lacks (B); add them with their run functions',
    });
    const kit = await resumeTestOrchestrator({ id: 'p', jobs: [{ id: 'A' }, { id: 'B' }] }, store);
    await kit.start();
    await kit.complete('A');
    await kit.complete('B');
    expect(kit.view().status).toBe('completed');
    await expect(resumeTestOrchestrator(plan, store)).rejects.toMatchObject({
      code: 'PLAN_FINISHED',
    });
  });
});

describe('restart during a cancel', () => {
  it('a plan whose cancel was recorded but not finished ends canceled on resume, starting nothing', async () => {
    const plan: TestPlanSpec = {
      id: 'p',
      maxParallel: 1,
      jobs: [{ id: 'A' }, { id: 'B' }, { id: 'C', dependsOn: ['A'] }],
    };
    const { store } = await crashAfter(plan, async (kit) => {
      kit.send({ type: 'CANCEL', reason: 'stop' });
      await kit.flush();
    });
    // The process died after the cancel pass was written, before the plan's own end.
    const end = store.records.findIndex((record) => record.type === 'plan-canceled');
    expect(end).toBeGreaterThan(0);
    const cut = new MemoryStore();
    cut.begin(store.header!);
    cut.append(store.records.slice(0, end));

    const kit = await resumeTestOrchestrator(plan, cut);
    await kit.start();
    expect(kit.sequence(/^start/)).toEqual([]);
    expect(kit.view()).toMatchObject({ status: 'canceled' });
    expect(kit.records.at(-1)).toMatchObject({ type: 'plan-canceled', reason: 'stop' });
  });
});
