import { describe, expect, it } from 'vitest';
import { createTestOrchestrator } from '../../src/testing/index.js';

describe('scenario 13: copilot', () => {
  it('waits in awaitingApproval with nothing running until APPROVE, then rejects a second start approval', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      mode: 'copilot',
      jobs: [{ id: 'A' }, { id: 'B', dependsOn: ['A'] }],
    });
    await kit.start();
    expect(kit.view()).toMatchObject({ status: 'awaitingApproval', checkpoint: { name: 'start' } });
    expect(kit.pending()).toEqual([]);
    expect(kit.send({ type: 'PAUSE' })).toEqual({
      accepted: false,
      reason: 'Plan "p" cannot pause now (status: awaitingApproval); PAUSE rejected',
    });
    expect(kit.send({ type: 'APPROVE', checkpoint: 'on_error' })).toEqual({
      accepted: false,
      reason: 'Plan "p" is waiting at start, not "on_error"; APPROVE rejected',
    });

    expect(kit.send({ type: 'APPROVE', checkpoint: 'start' })).toEqual({ accepted: true });
    await kit.flush();
    expect(kit.view().status).toBe('running');
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['A#1']);
    expect(kit.send({ type: 'APPROVE', checkpoint: 'start' })).toEqual({
      accepted: false,
      reason:
        'Plan "p" is not waiting at a checkpoint (status: running); APPROVE { checkpoint: "start" } rejected',
    });
    await kit.complete('A');
    await kit.complete('B');
    expect(kit.view().status).toBe('completed');
    expect(kit.sequence(/^(paused|accepted|rejected|completed)/)).toEqual([
      'paused start',
      'rejected PAUSE',
      'rejected APPROVE',
      'accepted APPROVE',
      'rejected APPROVE',
      'completed',
    ]);
    kit.checkInvariants();
  });

  it('can be canceled before approval; no job ever starts', async () => {
    const kit = createTestOrchestrator({ id: 'p', mode: 'copilot', jobs: [{ id: 'A' }] });
    await kit.start();
    kit.orchestrator.cancel();
    await kit.flush();
    expect(kit.view()).toMatchObject({
      status: 'canceled',
      jobs: [{ status: 'canceled', attempt: 0 }],
    });
    kit.checkInvariants();
  });
});
