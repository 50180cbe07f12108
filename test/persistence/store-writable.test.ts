import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  createOrchestrator,
  MemoryStore,
  PersistenceError,
  type StampedRecord,
} from '../../src/index.js';

/** A store whose server can be "down": writes fail until it is back, then it says so. */
class OutageStore extends MemoryStore {
  down = false;
  private readonly listeners = new Set<() => void>();
  override flush(): Promise<void> {
    return this.down
      ? Promise.reject(new PersistenceError('server', new Error('server unreachable')))
      : super.flush();
  }
  onWritable(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  back(): void {
    this.down = false;
    for (const listener of this.listeners) listener();
  }
}

function planWithGate(store: OutageStore) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let aRunning!: () => void;
  const running = new Promise<void>((resolve) => {
    aRunning = resolve;
  });
  const started: string[] = [];
  const orchestrator = createOrchestrator(
    {
      id: 'outage',
      jobs: [
        {
          id: 'A',
          run: async () => {
            started.push('A');
            aRunning();
            await gate;
          },
        },
        { id: 'B', dependsOn: ['A'], run: async () => void started.push('B') },
      ],
    },
    { store },
  );
  const records: StampedRecord[] = [];
  orchestrator.events$.subscribe((record) => records.push(record));
  const failed = firstValueFrom(
    orchestrator.events$.pipe(filter((record) => record.type === 'persistence-failed')),
  );
  orchestrator.start();
  return { orchestrator, release, running, started, records, failed };
}

describe('a plan paused at persistence because its store could not be reached', () => {
  it('goes on by itself once the store can write again, recording why, even when a write that failed meanwhile reports late', async () => {
    const store = new OutageStore();
    const { orchestrator, release, running, started, records, failed } = planWithGate(store);
    await running;
    store.down = true;
    release();
    await failed;
    expect(orchestrator.getView().checkpoint).toMatchObject({ name: 'persistence' });
    store.back();
    expect((await orchestrator.whenSettled()).status).toBe('completed');
    expect(started).toEqual(['A', 'B']);
    expect(records).toContainEqual(
      expect.objectContaining({
        type: 'command-accepted',
        command: { type: 'RESUME', reason: 'the store is writable again' },
      }),
    );
    expect(store.records.at(-1)?.type).toBe('plan-completed');
  });

  it('stays paused when the user had paused it, until the user resumes it', async () => {
    const store = new OutageStore();
    const { orchestrator, release, running, started, records, failed } = planWithGate(store);
    await running;
    expect(orchestrator.send({ type: 'PAUSE' })).toEqual({ accepted: true });
    store.down = true;
    release();
    await failed;
    store.back();
    expect(orchestrator.getView().status).toBe('paused');
    expect(started).toEqual(['A']);
    expect(records.filter((record) => record.type === 'command-accepted')).toHaveLength(1);
    expect(orchestrator.send({ type: 'RESUME' })).toEqual({ accepted: true });
    expect((await orchestrator.whenSettled()).status).toBe('completed');
    expect(started).toEqual(['A', 'B']);
  });
});
