import { describe, expect, it } from 'vitest';
import { type AnyMachineSnapshot, initialTransition, transition } from 'xstate';
import type { PlanMachineInput } from '../../machines/plan/context.js';
import { type PlanEmitted, type PlanEvent, planMachine } from '../../machines/plan.machine.js';
import { eventsFor, keyOf, planInput } from '../support/plan-walk.js';

/** A deep copy to compare against later (the walk's outputs and errors are plain data). */
const frozen = (snapshot: AnyMachineSnapshot) => structuredClone(snapshot.context);

const recordTypesOf = (actions: ReadonlyArray<{ type: string; params?: unknown }>) =>
  actions.flatMap((action) => {
    const emitted = (action.params as { event?: PlanEmitted } | undefined)?.event;
    return emitted?.type === 'records' ? emitted.records.map((r) => r.type) : [];
  });

const INPUTS: Record<string, PlanMachineInput> = {
  'write-ahead, strict integration, finalize': planInput({
    writeAhead: true,
    integration: { order: 'strict', check: true, rollback: true, checkTimeoutMs: null },
    finalize: true,
  }),
  'supervisor, integration by completion, finalize': planInput({
    mode: 'supervisor',
    integration: { order: 'completion', check: false, rollback: false, checkTimeoutMs: null },
    finalize: true,
  }),
  'copilot, policy fail': planInput({ mode: 'copilot', onJobFailure: 'fail' }),
  'policy continue, skips release': planInput({ onJobFailure: 'continue', onSkip: 'release' }),
};

/**
 * Walks each plan breadth first: from every snapshot reached, every event (internal or public)
 * is applied to that same snapshot. Each must leave it deep-equal to before, and the results
 * must not share anything that a later transition changes.
 */
function walk(input: PlanMachineInput, limit: number) {
  const [initial, initialActions] = initialTransition(planMachine, input);
  // The way to the end goes first, so that the walk also starts from the plan's late states.
  const queue = happyPath(initial);
  const seen = new Set(queue.map(keyOf));
  const records = new Set(recordTypesOf(initialActions));
  const eventTypes = new Set<string>();
  for (let at = 0; at < queue.length && at < limit; at++) {
    const snapshot = queue[at]!;
    const before = frozen(snapshot);
    const results: Array<[AnyMachineSnapshot, unknown]> = [];
    for (const event of eventsFor(snapshot)) {
      const [next, actions] = transition(planMachine, snapshot, event);
      expect(snapshot.context, `${event.type} changed its input snapshot`).toEqual(before);
      if (next === snapshot) continue;
      expect(next.context).not.toBe(snapshot.context);
      results.push([next, frozen(next)]);
      eventTypes.add(event.type.replace(/^(xstate\.\w+\.actor)\..*/, '$1'));
      for (const type of recordTypesOf(actions)) records.add(type);
      const key = keyOf(next);
      if (!seen.has(key)) {
        seen.add(key);
        queue.push(next);
      }
    }
    for (const [next, copy] of results) expect(next.context).toEqual(copy);
  }
  return { records, eventTypes };
}

/** Snapshots on the way to the plan's end: every job succeeds, every gate is approved. */
function happyPath(initial: AnyMachineSnapshot): AnyMachineSnapshot[] {
  const path = [initial];
  const steps = [
    /^JOB_COMPLETED$/,
    /^xstate\.done\.actor\./,
    /^INTEGRATION_DONE$/,
    /^COMMIT_SUCCEEDED$/,
    /^APPROVE$/,
  ];
  const moves = (snapshot: AnyMachineSnapshot, event: PlanEvent) =>
    keyOf(transition(planMachine, snapshot, event)[0]) !== keyOf(snapshot);
  for (let snapshot = initial; snapshot.status === 'active' && path.length < 40; ) {
    const events = eventsFor(snapshot).filter((e) => !('jobId' in e && e.type === 'APPROVE'));
    const event = steps
      .map((step) => events.find((e) => step.test(e.type) && moves(snapshot, e)))
      .find((e) => e !== undefined);
    if (!event) break;
    snapshot = transition(planMachine, snapshot, event)[0];
    path.push(snapshot);
  }
  return path;
}

describe('the exported plan machine', () => {
  it('transitions purely: the input snapshot stays as it was and every result is independent', () => {
    const records = new Set<string>();
    const eventTypes = new Set<string>();
    for (const input of Object.values(INPUTS)) {
      const walked = walk(input, 30);
      for (const type of walked.records) records.add(type);
      for (const type of walked.eventTypes) eventTypes.add(type);
    }
    // Every action of the machine ran at least once (each is known by a record only it makes).
    const byAction = {
      begin: 'plan-started',
      recordJobEvent: 'job-progress',
      recordIntegrationEvent: 'job-integrated',
      recordCommitFailure: 'persistence-failed',
      handleCommand: 'command-accepted',
      decide: 'attempt-started',
      launch: 'attempt-running',
      recordPaused: 'plan-paused',
      recordResumed: 'plan-resumed',
      recordFinalizeStarted: 'finalize-started',
      recordFinalized: 'finalize-succeeded',
      recordFinalizeFailure: 'finalize-failed',
      finishCompleted: 'plan-completed',
      finishFailed: 'plan-failed',
      finishCanceled: 'plan-canceled',
    };
    expect(Object.values(byAction).filter((r) => !records.has(r))).toEqual([]);
    expect([...records]).toEqual(
      expect.arrayContaining(['change-proposed', 'job-added', 'approved', 'job-skipped']),
    );
    expect([...eventTypes]).toEqual(
      expect.arrayContaining(['COMMIT_SUCCEEDED', 'xstate.done.actor', 'xstate.error.actor']),
    );
  });

  it('gives two independent results for two events from the same snapshot', () => {
    const [s0] = initialTransition(planMachine, planInput({}));
    const before = frozen(s0);
    const [canceled] = transition(planMachine, s0, { type: 'CANCEL' });
    const [paused] = transition(planMachine, s0, { type: 'PAUSE' });
    expect(s0.context).toEqual(before);
    expect(canceled.context).not.toBe(s0.context);
    expect(canceled.value).toBe('canceled');
    expect(canceled.context.jobs.A!.status).toBe('canceled');
    expect(paused.context.userPaused).toBe(true);
    expect(paused.context.jobs.A!.status).toBe('running');
    expect(canceled.context.userPaused).toBe(false);
    expect(s0.context.jobs.A!.status).toBe('running');
  });
});
