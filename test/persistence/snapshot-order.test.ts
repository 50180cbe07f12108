import { describe, expect, it } from 'vitest';
import type { PlanSnapshot, StampedRecord } from '../../src/index.js';
import { MemoryStore } from '../../src/index.js';
import { createTestOrchestrator, type TestPlanSpec } from '../../src/testing/index.js';

/**
 * A store whose flush writes what was appended when it started and ends when the test says, as
 * a disk does: records appended meanwhile wait for the next flush. Notes, for every snapshot
 * written, the last record the journal held durably then.
 */
class SlowDisk extends MemoryStore {
  private buffered: StampedRecord[] = [];
  private writing: Array<() => void> = [];
  readonly snapshots: Array<{ seq: number; journalSeq: number }> = [];

  override append(records: readonly StampedRecord[]): void {
    this.buffered.push(...records);
  }

  override async flush(): Promise<void> {
    const taking = this.buffered;
    this.buffered = [];
    await new Promise<void>((resolve) => this.writing.push(resolve));
    this.records.push(...taking);
  }

  finishWrites(): void {
    for (const finish of this.writing.splice(0)) finish();
  }

  override async writeSnapshot(snapshot: PlanSnapshot): Promise<void> {
    this.snapshots.push({ seq: snapshot.seq, journalSeq: this.records.at(-1)?.seq ?? 0 });
    await super.writeSnapshot(snapshot);
  }
}

describe('snapshots and the journal', () => {
  it('never writes a snapshot covering records the journal does not hold yet, when they arrived during a flush', async () => {
    const plan: TestPlanSpec = {
      id: 'p',
      maxParallel: 6,
      jobs: ['A', 'B', 'C', 'D', 'E', 'F'].map((id) => ({ id })),
    };
    const store = new SlowDisk();
    const kit = createTestOrchestrator(plan, { store, snapshotEvery: 3 });
    await kit.start();
    for (let step = 0; step < 50 && kit.view().status !== 'completed'; step++) {
      // A job finishes while a flush is under way, then the flush ends.
      kit.pending()[0]?.resolve('done');
      await kit.flush();
      store.finishWrites();
      await kit.flush();
    }
    expect(kit.view().status).toBe('completed');
    expect(store.snapshots.length).toBeGreaterThan(1);
    for (const { seq, journalSeq } of store.snapshots) expect(seq).toBeLessThanOrEqual(journalSeq);
  });
});
