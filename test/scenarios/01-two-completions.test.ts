import { describe, expect, it } from 'vitest';
import { createTestOrchestrator } from '../../src/testing/index.js';
import { orderName, permutations } from '../support/orders.js';

const independent = (ids: string[], maxParallel: number) => ({
  id: 'p',
  maxParallel,
  jobs: ids.map((id) => ({ id })),
});

/** The store's writes start one turn of the event loop after they are asked for. */
const writesSettle = async () => {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
};

describe('scenario 1: two completions in one pass', () => {
  it('re-runs the pass for a completion that arrives while a pass waits for its commit', async () => {
    // D is queued behind A, B, C (mp 3), so A's completion triggers a pass that must commit D's start.
    const passes: string[] = [];
    const kit = createTestOrchestrator(independent(['A', 'B', 'C', 'D'], 3), {
      store: 'held',
      // Every microstep of the plan actor: the pass states it goes through, in order.
      inspect: (event) => {
        if (event.type !== '@xstate.microstep') return;
        const { machine, value } = event.snapshot as unknown as {
          machine: { id: string };
          value: unknown;
        };
        if (machine.id !== 'plan') return;
        if (typeof value === 'object' && value && 'running' in value)
          passes.push(String(value.running));
      },
    });
    kit.heldStore.hold();
    await kit.start();
    expect(kit.pending()).toHaveLength(0); // nothing starts before its start is durable
    kit.heldStore.release(true);
    await writesSettle();
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['A#1', 'B#1', 'C#1']);
    // The launch's own records (attempts running) are written promptly too, by their own flush.
    expect(kit.heldStore.pendingFlushes).toBe(1);
    kit.heldStore.release(true);
    await writesSettle();

    passes.length = 0;
    kit.attempt('A').resolve('a');
    await writesSettle();
    expect(passes.at(-1)).toBe('reconciling'); // the pass for A waits for its commit
    expect(kit.heldStore.pendingFlushes).toBe(1);

    kit.attempt('B').resolve('b');
    await writesSettle();
    // B is recorded, and the pass it is owed runs at once, while A's pass's decisions are
    // being written: its decisions (none here) would join the next write.
    expect(passes.slice(-2)).toEqual(['reconcilePending', 'reconciling']);
    expect(kit.view().jobs.find((j) => j.id === 'B')?.status).toBe('succeeded');
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['C#1']); // D waits for the write

    const mark = passes.length;
    kit.heldStore.release(true);
    await writesSettle();
    // The commit is recorded, D launches and the plan is idle, in the same step.
    expect(passes.slice(mark)).toEqual(['reconciling', 'idle']);
    expect(kit.clock.pendingTimers()).toEqual([]); // no timer was involved
    expect(kit.attempt('D').attemptId).toBe('D#1');

    await kit.complete('C');
    await kit.complete('D');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });

  for (const order of permutations(['A', 'B', 'C'])) {
    it(`records all three completions landing in one microtask, in order ${orderName(order)}`, async () => {
      const kit = createTestOrchestrator(independent(['A', 'B', 'C'], 3));
      await kit.start();
      for (const id of order) kit.attempt(id).resolve(id.toLowerCase());
      await kit.flush();
      expect(kit.sequence(/^succeeded/)).toEqual(order.map((id) => `succeeded ${id}#1`));
      const view = kit.view();
      expect(view.status).toBe('completed');
      expect(view.jobs.map((j) => j.output)).toEqual(['a', 'b', 'c']);
      kit.checkInvariants();
    });
  }
});
