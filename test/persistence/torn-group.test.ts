import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/index.js';
import {
  createTestOrchestrator,
  resumeTestOrchestrator,
  type TestPlanSpec,
} from '../../src/testing/index.js';

/** The store of a process that died inside one write: the journal up to `length` records. */
function cutAt(store: MemoryStore, length: number): MemoryStore {
  const copy = new MemoryStore();
  copy.begin(store.header!);
  copy.append(store.records.slice(0, length));
  return copy;
}

describe('scenario 31: a crash that tore a group of records written together', () => {
  it('blocks e on resume when `job-failed d` was kept and `job-blocked e` was lost, and the plan ends failed', async () => {
    const plan: TestPlanSpec = {
      id: 'torn',
      onJobFailure: 'continue',
      jobs: [{ id: 'd' }, { id: 'e', dependsOn: ['d'] }],
    };
    const store = new MemoryStore();
    const kit = createTestOrchestrator(plan, { store });
    await kit.start();
    await kit.fail('d', new Error('boom'));
    expect(kit.view().status).toBe('failed');
    const failedAt = store.records.findIndex((r) => r.type === 'job-failed');
    expect(store.records[failedAt + 1]).toMatchObject({ type: 'job-blocked', jobId: 'e' });

    const resumed = await resumeTestOrchestrator(plan, cutAt(store, failedAt + 1));
    await resumed.start();
    expect(resumed.view()).toMatchObject({
      status: 'failed',
      jobs: [
        { id: 'd', status: 'failed' },
        { id: 'e', status: 'blocked' },
      ],
    });
    expect(resumed.sequence(/blocked/)).toEqual(['blocked e by d']);
    resumed.checkInvariants();
  });

  it('ends canceled without running anything again when only the accepted CANCEL was kept', async () => {
    const plan: TestPlanSpec = { id: 'torn-cancel', jobs: [{ id: 'a' }, { id: 'b' }] };
    const store = new MemoryStore();
    const kit = createTestOrchestrator(plan, { store });
    await kit.start();
    kit.send({ type: 'CANCEL', reason: 'stop' });
    await kit.flush();
    const acceptedAt = store.records.findIndex((r) => r.type === 'command-accepted');
    expect(store.records[acceptedAt + 1]).toMatchObject({ type: 'job-canceled' });

    const resumed = await resumeTestOrchestrator(plan, cutAt(store, acceptedAt + 1));
    await resumed.start();
    expect(resumed.view()).toMatchObject({
      status: 'canceled',
      jobs: [{ status: 'canceled' }, { status: 'canceled' }],
    });
    expect(resumed.pending()).toEqual([]);
    expect(resumed.sequence(/canceled|interrupted/)).toEqual([
      'canceled a',
      'canceled b',
      'canceled',
    ]);
    resumed.checkInvariants();
  });
});
