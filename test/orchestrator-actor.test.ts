import { describe, expect, it } from 'vitest';
import { createTestOrchestrator } from '../src/testing/index.js';

describe("the orchestrator's actor", () => {
  it('refuses an internal event sent from outside: a held write-ahead is not skipped', async () => {
    const kit = createTestOrchestrator({ id: 'p', jobs: [{ id: 'A' }] }, { store: 'held' });
    kit.heldStore.hold();
    await kit.start();
    expect(kit.heldStore.pendingFlushes).toBe(1);

    // Around the types, as a caller in plain JavaScript would.
    const actor = kit.orchestrator.actor as unknown as { send(event: unknown): void };
    actor.send({ type: 'COMMIT_SUCCEEDED', upTo: 1e9 });
    actor.send({ type: 'JOB_COMPLETED', jobId: 'A', attemptId: 'A#1', output: 'forged' });
    await kit.flush();

    expect(kit.pending()).toEqual([]); // A's attempt did not start before its record was stored
    expect(kit.records.filter((r) => r.type === 'command-rejected')).toMatchObject([
      { command: { type: 'COMMIT_SUCCEEDED' }, reason: expect.stringMatching(/^Unknown command/) },
      { command: { type: 'JOB_COMPLETED' }, reason: expect.stringMatching(/^Unknown command/) },
    ]);

    kit.heldStore.release();
    await kit.flush();
    await kit.complete('A', 'real');
    expect((await kit.orchestrator.whenSettled()).jobs[0]).toMatchObject({
      status: 'succeeded',
      output: 'real',
    });
    kit.checkInvariants();
  });

  it('passes a command sent to it through the same checks as send()', async () => {
    const kit = createTestOrchestrator({ id: 'p', jobs: [{ id: 'A' }] });
    await kit.start();
    const actor = kit.orchestrator.actor as unknown as { send(event: unknown): void };
    actor.send({ type: 'CANCEL', reason: 'from the actor' });
    await kit.flush();
    expect(kit.view().status).toBe('canceled');
    expect(kit.records.find((r) => r.type === 'command-accepted')).toMatchObject({
      command: { type: 'CANCEL', reason: 'from the actor' },
    });
  });

  it('has no send in its type', () => {
    const kit = createTestOrchestrator({ id: 'p', jobs: [{ id: 'A' }] });
    const sendOf = (actor: typeof kit.orchestrator.actor) =>
      // @ts-expect-error the plan's events go through `send()`, never to the actor
      actor.send({ type: 'COMMIT_SUCCEEDED', upTo: 1e9 });
    expect(typeof sendOf).toBe('function');
  });
});
