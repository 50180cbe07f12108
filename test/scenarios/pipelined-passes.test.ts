import { describe, expect, it } from 'vitest';
import { createTestOrchestrator } from '../../src/testing/index.js';

/** The store's writes start one turn of the event loop after they are asked for. */
const writesSettle = async () => {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
};

describe('passes that run while an earlier pass is being written', () => {
  it("start each pass's jobs only once that pass's own write is done, in order", async () => {
    // A and B run; C waits for A, D for B: each completion's pass decides one start.
    const kit = createTestOrchestrator(
      {
        id: 'pipelined',
        maxParallel: 2,
        jobs: [
          { id: 'A' },
          { id: 'B' },
          { id: 'C', dependsOn: ['A'] },
          { id: 'D', dependsOn: ['B'] },
        ],
      },
      { store: 'held' },
    );
    kit.heldStore.hold();
    await kit.start();
    kit.heldStore.release(true);
    await writesSettle();
    kit.heldStore.release(true);
    await writesSettle();
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['A#1', 'B#1']);

    await kit.complete('A'); // its pass decides C and asks for a write, which is held
    await writesSettle();
    expect(kit.heldStore.pendingFlushes).toBe(1);
    await kit.complete('B'); // its pass runs at once and decides D, for the next write
    await writesSettle();
    expect(kit.view().jobs.map((job) => job.status)).toEqual([
      'succeeded',
      'succeeded',
      'running',
      'running',
    ]);
    expect(kit.pending()).toEqual([]); // neither start is durable yet

    kit.heldStore.release(true); // the write holding C's start
    await writesSettle();
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['C#1']);
    expect(kit.heldStore.pendingFlushes).toBe(1); // the write holding D's start

    kit.heldStore.release(true);
    await writesSettle();
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['C#1', 'D#1']);
    kit.heldStore.release();
    await kit.complete('C');
    await kit.complete('D');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });
});
