import { type AnyMachineSnapshot, assign, enqueueActions, setup } from 'xstate';
import { type JobToPlanEvent, jobMachine } from './job.machine.js';
import { type PlanCommand, type PlanStatus, rejectionOf } from './plan/commands.js';
import {
  createPlanContext,
  type JobRecord,
  type PlanContext,
  type PlanMachineInput,
} from './plan/context.js';
import type { Checkpoint, PlanRecord } from './plan/records.js';
import {
  acceptFailure,
  allSettled,
  allSucceeded,
  cancelAll,
  decide,
  decisionsDurable,
  queueRoots,
  recordJobEvent,
  retryJob,
  skipJob,
  takeLaunches,
} from './plan/scheduling.js';

/**
 * The plan: which jobs may start, what their outcomes mean, and where the plan waits for people.
 *
 * Every fact (a job's outcome, a command, a durable commit) arrives as an event and is recorded
 * in context by a root-level handler, whatever state the plan is in, so none is ever dropped.
 * State changes follow from the recorded facts through eventless transitions. The `running`
 * state's `idle` / `reconciling` / `reconcilePending` trio runs the scheduling pass: a fact
 * recorded while a pass waits for its decisions to become durable moves it to
 * `reconcilePending`, which runs the pass again as soon as the current one is done.
 */

export type CommittedEvent = { type: 'COMMITTED'; upTo: number };
export type PlanEvent = JobToPlanEvent | PlanCommand | CommittedEvent;

/** What the machine emits: its records, and requests to make them durable. */
export type PlanEmitted =
  | { type: 'records'; records: PlanRecord[] }
  | { type: 'commit'; upTo: number };

/** The plan status of a plan machine snapshot. */
export function planStatusOf(snapshot: AnyMachineSnapshot): PlanStatus {
  const value = snapshot.value;
  return (typeof value === 'string' ? value : Object.keys(value)[0]) as PlanStatus;
}

/** Where the plan waits, derived from its context. */
export function checkpointOf(status: PlanStatus, ctx: PlanContext): Checkpoint | null {
  if (status === 'awaitingApproval') return { name: 'start' };
  if (status !== 'paused') return null;
  const failed = ctx.unresolved[0];
  if (failed !== undefined) {
    const failure = ctx.jobs[failed]!.failure!;
    return { name: 'on_error', jobId: failed, kind: failure.kind, error: failure.error };
  }
  return { name: 'user' };
}

function jobActorInput(job: JobRecord) {
  return {
    jobId: job.id,
    firstAttempt: job.attempt,
    retry: job.retry,
    timeoutMs: job.timeoutMs,
    verify: job.verify,
  };
}

function failureReason(ctx: PlanContext): string {
  if (ctx.failedBy !== null) return `Job "${ctx.failedBy}" failed and the plan's policy is "fail"`;
  const counts = new Map<string, number>();
  for (const id of ctx.order) {
    const status = ctx.jobs[id]!.status;
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  const parts = ['failed', 'blocked', 'canceled']
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`);
  return `Not every job succeeded: ${parts.join(', ')}`;
}

export const planMachine = setup({
  types: {
    input: {} as PlanMachineInput,
    context: {} as PlanContext,
    events: {} as PlanEvent,
    emitted: {} as PlanEmitted,
  },
  actors: { job: jobMachine },
  guards: {
    dirty: ({ context }) => context.dirty,
    durable: ({ context }) => decisionsDurable(context),
    cancelRequested: ({ context }) => context.cancel !== null,
    failing: ({ context }) => context.failedBy !== null,
    mustPause: ({ context }) => context.userPaused || context.unresolved.length > 0,
    mayResume: ({ context }) => !context.userPaused && context.unresolved.length === 0,
    startApproved: ({ context }) => context.startApproved,
    allSucceeded: ({ context }) => allSettled(context) && allSucceeded(context),
    allSettled: ({ context }) => allSettled(context),
  },
  actions: {
    begin: enqueueActions(({ context, enqueue }) => {
      const records: PlanRecord[] = [
        { type: 'plan-started', planId: context.planId, jobs: context.order.length },
      ];
      queueRoots(context, records);
      if (!context.startApproved)
        records.push({ type: 'plan-paused', checkpoint: { name: 'start' } });
      enqueue.emit({ type: 'records', records });
    }),
    recordJobEvent: enqueueActions(({ context, event, enqueue }) => {
      const records: PlanRecord[] = [];
      recordJobEvent(context, event as JobToPlanEvent, records);
      enqueue.emit({ type: 'records', records });
    }),
    retireActor: assign({ actors: ({ context }) => context.actors - 1 }),
    recordCommitted: assign({
      commitDurable: ({ context, event }) =>
        Math.max(context.commitDurable, (event as CommittedEvent).upTo),
    }),
    handleCommand: enqueueActions(({ context, event, self, enqueue }) => {
      const command = event as PlanCommand;
      // `self` still holds the snapshot from before this event: the state the command met.
      const reason = rejectionOf(planStatusOf(self.getSnapshot()), context, command);
      const records: PlanRecord[] = [];
      if (reason !== null) {
        records.push({ type: 'command-rejected', command: { ...command }, reason });
        enqueue.emit({ type: 'records', records });
        return;
      }
      records.push({ type: 'command-accepted', command: { ...command } });
      const cancelSlots: Array<{ slot: string; why: 'skipped' | 'canceled'; detail?: string }> = [];
      switch (command.type) {
        case 'APPROVE':
          if (!context.startApproved) context.startApproved = true;
          else
            acceptFailure(context, context.jobs[command.jobId ?? context.unresolved[0]!]!, records);
          break;
        case 'RETRY_JOB':
          retryJob(context, context.jobs[command.jobId]!, records);
          break;
        case 'SKIP_JOB': {
          const slot = skipJob(context, context.jobs[command.jobId]!, command.reason, records);
          if (slot !== null) cancelSlots.push({ slot, why: 'skipped', detail: command.reason });
          break;
        }
        case 'PAUSE':
          context.userPaused = true;
          break;
        case 'RESUME':
          context.userPaused = false;
          break;
        case 'CANCEL':
          context.cancel = command.reason === undefined ? {} : { reason: command.reason };
          for (const slot of cancelAll(context, records)) {
            cancelSlots.push({ slot, why: 'canceled', detail: command.reason });
          }
          break;
      }
      enqueue.emit({ type: 'records', records });
      for (const { slot, why, detail } of cancelSlots) {
        enqueue.sendTo(slot, { type: 'CANCEL', why, ...(detail ? { detail } : {}) });
      }
    }),
    decide: enqueueActions(({ context, enqueue }) => {
      const records: PlanRecord[] = [];
      const requested = context.commitRequested;
      decide(context, records);
      if (records.length > 0) enqueue.emit({ type: 'records', records });
      if (context.commitRequested !== requested) {
        enqueue.emit({ type: 'commit', upTo: context.commitRequested });
      }
    }),
    launch: enqueueActions(({ context, enqueue }) => {
      const { launch, start } = takeLaunches(context);
      if (launch.length > 0) {
        // One assign spawns the whole batch: XState copies the children map once per assign.
        enqueue.assign(({ context, spawn }) => {
          for (const job of launch) spawn('job', { id: job.slot!, input: jobActorInput(job) });
          return { actors: context.actors + launch.length };
        });
      }
      for (const job of start) enqueue.sendTo(job.slot!, { type: 'START_ATTEMPT' });
    }),
    recordPaused: enqueueActions(({ context, enqueue }) => {
      const checkpoint = checkpointOf('paused', context)!;
      enqueue.emit({ type: 'records', records: [{ type: 'plan-paused', checkpoint }] });
    }),
    recordResumed: enqueueActions(({ enqueue }) => {
      enqueue.emit({ type: 'records', records: [{ type: 'plan-resumed' }] });
    }),
    finishCompleted: enqueueActions(({ enqueue }) => {
      enqueue.emit({ type: 'records', records: [{ type: 'plan-completed' }] });
    }),
    finishFailed: enqueueActions(({ context, enqueue }) => {
      const records: PlanRecord[] = [];
      const slots = cancelAll(context, records);
      records.push({ type: 'plan-failed', reason: failureReason(context) });
      enqueue.emit({ type: 'records', records });
      for (const slot of slots) enqueue.sendTo(slot, { type: 'CANCEL', why: 'canceled' });
    }),
    finishCanceled: enqueueActions(({ context, enqueue }) => {
      const reason = context.cancel?.reason;
      enqueue.emit({
        type: 'records',
        records: [{ type: 'plan-canceled', ...(reason !== undefined ? { reason } : {}) }],
      });
    }),
  },
}).createMachine({
  id: 'plan',
  context: ({ input }) => createPlanContext(input),
  entry: 'begin',
  initial: 'awaitingApproval',
  on: {
    JOB_STARTED: { actions: 'recordJobEvent' },
    JOB_PROGRESS: { actions: 'recordJobEvent' },
    JOB_COMPLETED: { actions: 'recordJobEvent' },
    JOB_FAILED: { actions: 'recordJobEvent' },
    JOB_ATTEMPT_DUE: { actions: 'recordJobEvent' },
    COMMITTED: { actions: 'recordCommitted' },
    'xstate.done.actor.*': { actions: 'retireActor' },
    APPROVE: { actions: 'handleCommand' },
    RETRY_JOB: { actions: 'handleCommand' },
    SKIP_JOB: { actions: 'handleCommand' },
    PAUSE: { actions: 'handleCommand' },
    RESUME: { actions: 'handleCommand' },
    CANCEL: { actions: 'handleCommand' },
  },
  states: {
    awaitingApproval: {
      always: [
        { guard: 'cancelRequested', target: 'canceled' },
        { guard: 'startApproved', target: 'running' },
      ],
    },
    running: {
      initial: 'reconciling',
      states: {
        idle: {
          always: [
            { guard: 'cancelRequested', target: '#plan.canceled' },
            { guard: 'failing', target: '#plan.failed' },
            { guard: 'mustPause', target: '#plan.paused' },
            { guard: 'allSucceeded', target: '#plan.completed' },
            { guard: 'allSettled', target: '#plan.failed' },
            { guard: 'dirty', target: 'reconciling' },
          ],
        },
        reconciling: {
          entry: 'decide',
          always: [
            { guard: 'cancelRequested', target: '#plan.canceled' },
            { guard: 'failing', target: '#plan.failed' },
            { guard: 'durable', target: 'idle', actions: 'launch' },
            { guard: 'dirty', target: 'reconcilePending' },
          ],
        },
        reconcilePending: {
          always: [
            { guard: 'cancelRequested', target: '#plan.canceled' },
            { guard: 'failing', target: '#plan.failed' },
            // Back through `idle`, which runs the owed pass at once unless the plan must stop.
            { guard: 'durable', target: 'idle', actions: 'launch' },
          ],
        },
      },
    },
    paused: {
      entry: 'recordPaused',
      always: [
        { guard: 'cancelRequested', target: 'canceled' },
        { guard: 'failing', target: 'failed' },
        { guard: 'mayResume', target: 'running', actions: 'recordResumed' },
      ],
    },
    completed: { type: 'final', entry: 'finishCompleted' },
    failed: { type: 'final', entry: 'finishFailed' },
    canceled: { type: 'final', entry: 'finishCanceled' },
  },
});
