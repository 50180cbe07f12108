import { afterEach, describe, expect, it, vi } from 'vitest';
import { createOrchestrator, definePlan, MemoryStore, NonRetryableError } from '../src/index.js';
import { createTestOrchestrator } from '../src/testing/index.js';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
});

describe('the failure policy when the plan does not choose one', () => {
  it('a failing job in autopilot with no options settles failed, blocks its dependents and cancels the rest', async () => {
    const orchestrator = createOrchestrator({
      id: 'unattended',
      jobs: [
        {
          id: 'a',
          run: async () => {
            throw new Error('boom');
          },
        },
        { id: 'b', dependsOn: ['a'], run: async () => 'never' },
        { id: 'c', run: () => new Promise(() => {}) },
      ],
    });
    orchestrator.start();
    const view = await orchestrator.whenSettled();
    expect(view.status).toBe('failed');
    expect(view.jobs.map((job) => [job.id, job.status])).toEqual([
      ['a', 'failed'],
      ['b', 'blocked'],
      ['c', 'canceled'],
    ]);
  });

  it('the Quick start plan, run with no network and no TOKEN, settles failed instead of waiting forever', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('fetch failed');
    });
    vi.stubEnv('TOKEN', '');
    const plan = definePlan({
      id: 'nightly',
      maxParallel: 2,
      jobs: [
        {
          id: 'fetch',
          run: async ({ signal }) => (await fetch('https://example.com', { signal })).status,
        },
        {
          id: 'parse',
          dependsOn: ['fetch'],
          run: async () => 42,
          retry: { maxAttempts: 3, initialDelayMs: 500 },
        },
        {
          id: 'report',
          dependsOn: ['parse'],
          timeoutMs: 10_000,
          run: async ({ attemptId }) => {
            if (!process.env.TOKEN) throw new NonRetryableError('TOKEN is not set');
            return `sent (idempotency key ${attemptId})`;
          },
        },
      ],
    });
    const noNetwork = createOrchestrator(plan).start();
    expect(await noNetwork.whenSettled()).toMatchObject({
      status: 'failed',
      counts: { failed: 1, blocked: 2 },
    });

    vi.stubGlobal('fetch', async () => ({ status: 200 }));
    const noToken = createOrchestrator(plan).start();
    const view = await noToken.whenSettled();
    expect(view.status).toBe('failed');
    expect(view.jobs.find((job) => job.id === 'report')?.status).toBe('failed');
  });

  it('copilot and supervisor plans still pause at on_error, where a person decides', async () => {
    for (const mode of ['copilot', 'supervisor'] as const) {
      const kit = createTestOrchestrator({ id: 'p', mode, jobs: [{ id: 'A' }] });
      await kit.start();
      if (mode === 'copilot') kit.send({ type: 'APPROVE', checkpoint: 'start' });
      await kit.fail('A', new Error('boom'));
      expect(kit.view()).toMatchObject({
        status: 'paused',
        checkpoint: { name: 'on_error', jobId: 'A' },
      });
    }
  });

  it('an explicit onJobFailure wins over the mode', async () => {
    const kit = createTestOrchestrator({ id: 'p', onJobFailure: 'pause', jobs: [{ id: 'A' }] });
    await kit.start();
    await kit.fail('A', new Error('boom'));
    expect(kit.view()).toMatchObject({ status: 'paused', checkpoint: { name: 'on_error' } });
  });

  it('the resolved policy is stored in the journal header, so a resumed plan keeps it', async () => {
    const store = new MemoryStore();
    const orchestrator = createOrchestrator(
      { id: 'p', jobs: [{ id: 'A', run: async () => 1 }] },
      { store },
    ).start();
    await orchestrator.whenSettled();
    expect((await store.load()).header.input.onJobFailure).toBe('fail');
  });
});
