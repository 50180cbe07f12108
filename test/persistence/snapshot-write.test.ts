import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PlanSnapshot } from '../../src/index.js';
import { FileStore, MemoryStore } from '../../src/index.js';
import { JournalFold } from '../../src/persistence/journal-fold.js';
import {
  createTestOrchestrator,
  resumeTestOrchestrator,
  type TestPlanSpec,
} from '../../src/testing/index.js';

/** A memory store whose snapshot writes end when the test says, as a slow disk's would. */
class SlowSnapshots extends MemoryStore {
  readonly started: number[] = [];
  private finishing: Array<() => void> = [];
  private holding = true;

  override async writeSnapshot(snapshot: PlanSnapshot): Promise<void> {
    this.started.push(snapshot.seq);
    if (this.holding) await new Promise<void>((resolve) => this.finishing.push(resolve));
    await super.writeSnapshot(snapshot);
  }

  /** Ends the snapshot writes under way; later ones end at once. */
  finishSnapshots(): void {
    this.holding = false;
    for (const finish of this.finishing.splice(0)) finish();
  }
}

const chain: TestPlanSpec = {
  id: 'chain',
  maxParallel: 1,
  jobs: [{ id: 'A' }, { id: 'B', dependsOn: ['A'] }, { id: 'C', dependsOn: ['B'] }],
};

describe('a snapshot is written beside the journal', () => {
  it('starts the next job while a snapshot is still being written, and settles only once it is written', async () => {
    const store = new SlowSnapshots();
    const kit = createTestOrchestrator(chain, { store, snapshotEvery: 2 });
    await kit.start();
    await kit.complete('A');
    await kit.flush();
    expect(store.started.length).toBeGreaterThan(0);
    expect(store.snapshot).toBeNull();
    // B's start is durable and B runs, though the snapshot's write has not ended.
    expect(kit.view().jobs.find((job) => job.id === 'B')?.status).toBe('running');

    await kit.complete('B');
    await kit.complete('C');
    let settled = false;
    const settling = kit.orchestrator.whenSettled().then(() => {
      settled = true;
    });
    await kit.flush();
    await kit.flush();
    expect(kit.view().status).toBe('completed');
    expect(settled).toBe(false);

    store.finishSnapshots();
    await settling;
    expect(store.snapshot).not.toBeNull();
  });

  it('holds the state of the journal up to its seq, whatever the plan did while it was written', async () => {
    const store = new SlowSnapshots();
    const kit = createTestOrchestrator(chain, { store, snapshotEvery: 2 });
    await kit.start();
    await kit.complete('A');
    await kit.complete('B');
    store.finishSnapshots();
    await kit.flush();
    const snapshot = JSON.parse(store.snapshot!) as PlanSnapshot;
    const journal = store.records.filter((record) => record.seq <= snapshot.seq);
    expect(journal.at(-1)?.seq).toBe(snapshot.seq);
    const folded = JournalFold.of({
      header: store.header!,
      snapshot: null,
      records: structuredClone(journal),
      warnings: [],
    }).snapshot();
    expect(snapshot).toEqual(JSON.parse(JSON.stringify(folded)));

    // A process that stops here resumes from that snapshot and the journal after it.
    const left = new MemoryStore();
    left.begin(store.header!);
    left.append(store.records);
    left.snapshot = store.snapshot;
    const resumed = await resumeTestOrchestrator(chain, left);
    await resumed.start();
    expect(resumed.view().jobs.map((job) => [job.id, job.status])).toEqual([
      ['A', 'succeeded'],
      ['B', 'succeeded'],
      ['C', 'running'],
    ]);
  });

  it('pauses the plan at the persistence checkpoint when the write fails; RESUME goes on and a later snapshot is written', async () => {
    class FullDiskSnapshots extends MemoryStore {
      failing = true;
      override async writeSnapshot(snapshot: PlanSnapshot): Promise<void> {
        if (this.failing)
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
            code: 'ENOSPC',
          });
        await super.writeSnapshot(snapshot);
      }
    }
    const store = new FullDiskSnapshots();
    const kit = createTestOrchestrator(chain, { store, snapshotEvery: 2 });
    await kit.start();
    await kit.complete('A');
    await kit.flush();
    expect(kit.view()).toMatchObject({
      status: 'paused',
      checkpoint: {
        name: 'persistence',
        error: { message: 'ENOSPC: no space left on device, write' },
      },
    });
    store.failing = false;
    expect(kit.send({ type: 'RESUME' })).toEqual({ accepted: true });
    await kit.flush();
    await kit.complete('B');
    await kit.complete('C');
    await kit.orchestrator.whenSettled();
    expect(kit.view().status).toBe('completed');
    expect(store.snapshot).not.toBeNull();
    kit.checkInvariants();
  });

  it('is finished before a FileStore gives its folder up, and never written by a store that gave it up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'snapshot-write-'));
    try {
      const memory = new MemoryStore();
      const kit = createTestOrchestrator(chain, { store: memory, snapshotEvery: 2 });
      await kit.start();
      await kit.complete('A');
      const snapshot = JSON.parse(memory.snapshot!) as PlanSnapshot;

      const store = new FileStore(dir);
      await store.acquire();
      store.begin(memory.header!);
      store.append(memory.records);
      await store.flush();
      const writing = store.writeSnapshot(snapshot);
      await store.relinquish();
      expect((await readdir(dir)).sort()).toEqual(['journal.jsonl', 'snapshot.json']);
      await writing;

      await rm(store.snapshotPath);
      await expect(store.writeSnapshot(snapshot)).rejects.toMatchObject({
        code: 'PERSISTENCE_FAILED',
        message: expect.stringContaining('this store gave the folder up'),
      });
      expect(await readdir(dir)).toEqual(['journal.jsonl']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
