/**
 * The `Store` contract as tests, run against every store: `storeConformance('RedisStore', …)`
 * with a harness of its own is all a new store needs. A harness opens handles on one storage (as
 * separate processes would) and can cut the stored journal, as a crash would have left it.
 */
import { describe, expect, it } from 'vitest';
import {
  MemoryStore,
  type StampedRecord,
  StateLockedError,
  type Store,
  type StoredPlan,
} from '../../src/index.js';
import type { JournalHeader } from '../../src/persistence/store.js';
import { createTestOrchestrator } from '../../src/testing/index.js';

export interface StoreHarness {
  /** A new handle on the storage under test, as another process would open it. */
  open(): Store;
  /**
   * Leaves the stored journal as a crash would have: its header and the first `records` records
   * of the journal as last flushed whole, and with `torn`, the first half of the next record
   * (a store that cannot hold part of a record ignores `torn`).
   */
  cut(records: number, torn: boolean): Promise<void>;
  /** Whether `cut` can leave part of a record behind (then `load` must drop it with a warning). */
  readonly tears: boolean;
  cleanup(): Promise<void>;
}

/** A real plan's journal and a snapshot of it, to store. */
async function sampleJournal(): Promise<{
  header: JournalHeader;
  records: StampedRecord[];
  snapshot: unknown;
}> {
  const memory = new MemoryStore();
  const kit = createTestOrchestrator(
    {
      id: 'conformance',
      maxParallel: 2,
      jobs: [
        { id: 'A' },
        { id: 'B', dependsOn: ['A'] },
        { id: 'C', retry: { maxAttempts: 2, initialDelayMs: 10 } },
        { id: 'D', dependsOn: ['B', 'C'] },
      ],
    },
    { store: memory, snapshotEvery: 8 },
  );
  await kit.start();
  await kit.complete('A', { text: 'ünïcode ✓ and "quotes"\nnewline' });
  await kit.fail('C', new Error('flaky'));
  kit.clock.advance(10);
  await kit.flush();
  await kit.complete('C', [1, 2, 3]);
  await kit.complete('B', null);
  await kit.complete('D', { big: 'x'.repeat(5000) });
  expect(kit.view().status).toBe('completed');
  return {
    header: memory.header!,
    records: memory.records,
    snapshot: JSON.parse(memory.snapshot!),
  };
}

async function writeAll(store: Store, header: JournalHeader, records: readonly StampedRecord[]) {
  store.begin(header);
  for (let i = 0; i < records.length; i += 3) {
    store.append(records.slice(i, i + 3));
    await store.flush();
  }
}

export function storeConformance(name: string, makeHarness: () => Promise<StoreHarness>) {
  const withHarness = (test: (harness: StoreHarness) => Promise<void>) => async () => {
    const harness = await makeHarness();
    try {
      await test(harness);
    } finally {
      await harness.cleanup();
    }
  };

  describe(`${name} keeps the Store contract`, () => {
    it(
      'loads back exactly the records its resolved flushes covered, in order, as new objects',
      withHarness(async (harness) => {
        const { header, records } = await sampleJournal();
        const store = harness.open();
        await store.acquire();
        store.begin(header);
        const resolved: number[] = [];
        // Flushes asked for back to back resolve in order, each covering what came before it.
        const flushes = [0, 1, 2].map((k) => {
          store.append(records.slice(k * 10, k === 2 ? undefined : (k + 1) * 10));
          return store.flush().then(() => resolved.push(k));
        });
        await Promise.all(flushes);
        expect(resolved).toEqual([0, 1, 2]);
        const loaded = await harness.open().load();
        expect(loaded.header).toEqual(header);
        expect(loaded.records).toEqual(records);
        expect(loaded.warnings).toEqual([]);
        (loaded.records[0] as { type: string }).type = 'changed by the caller';
        expect((await harness.open().load()).records).toEqual(records);
        await store.relinquish();
      }),
    );

    it(
      'loads a snapshot and only the records after it',
      withHarness(async (harness) => {
        const { header, records, snapshot } = await sampleJournal();
        const store = harness.open();
        await store.acquire();
        await writeAll(store, header, records);
        await store.writeSnapshot(snapshot as Parameters<Store['writeSnapshot']>[0]);
        const loaded = await harness.open().load();
        const seq = (snapshot as { seq: number }).seq;
        expect(loaded.snapshot).toEqual(snapshot);
        expect(loaded.records).toEqual(records.filter((record) => record.seq > seq));
        await store.relinquish();
      }),
    );

    it(
      'refuses a second owner, naming the first, and leaves the first undisturbed',
      withHarness(async (harness) => {
        const { header, records } = await sampleJournal();
        const first = harness.open();
        await first.acquire();
        first.begin(header);
        first.append(records.slice(0, 5));
        await first.flush();
        const second = harness.open();
        const refusal = await second.acquire().catch((error: unknown) => error);
        expect(refusal).toBeInstanceOf(StateLockedError);
        expect(refusal).toMatchObject({
          code: 'STATE_LOCKED',
          owner: { pid: process.pid },
          message: expect.stringContaining('in use'),
        });
        first.append(records.slice(5));
        await first.flush();
        expect((await harness.open().load()).records).toEqual(records);
        await first.relinquish();
      }),
    );

    it(
      'lets a new owner in once the first relinquished',
      withHarness(async (harness) => {
        const first = harness.open();
        await first.acquire();
        await first.relinquish();
        const second = harness.open();
        await expect(second.acquire()).resolves.toBeUndefined();
        await expect(harness.open().acquire()).rejects.toBeInstanceOf(StateLockedError);
        await second.relinquish();
      }),
    );

    it(
      'loads every prefix of a journal: its whole records, a torn last one dropped with a warning',
      withHarness(async (harness) => {
        const { header, records } = await sampleJournal();
        const store = harness.open();
        await store.acquire();
        await writeAll(store, header, records);
        await store.relinquish();
        for (let length = 0; length <= records.length; length++) {
          for (const torn of harness.tears && length < records.length ? [false, true] : [false]) {
            await harness.cut(length, torn);
            const loaded: StoredPlan = await harness.open().load();
            const where = `cut after ${length} records${torn ? ' and half a record' : ''}`;
            expect(loaded.header, where).toEqual(header);
            expect(loaded.records, where).toEqual(records.slice(0, length));
            expect(loaded.warnings, where).toEqual(
              torn ? [expect.stringContaining('dropped a torn last line')] : [],
            );
          }
        }
      }),
    );

    it(
      'writes on after the last whole record when a torn journal is resumed',
      withHarness(async (harness) => {
        const { header, records } = await sampleJournal();
        const store = harness.open();
        await store.acquire();
        await writeAll(store, header, records);
        await store.relinquish();
        const half = Math.floor(records.length / 2);
        await harness.cut(half, true);
        const next = harness.open();
        await next.acquire();
        await next.load();
        next.append(records.slice(half));
        await next.flush();
        const loaded = await harness.open().load();
        expect(loaded.records).toEqual(records);
        expect(loaded.warnings).toEqual([]);
        await next.relinquish();
      }),
    );
  });
}
