import { type AnyMachineSnapshot, enqueueActions, fromPromise, setup } from 'xstate';
import { type ErrorInfo, toErrorInfo } from './errors.js';
import { type IntegrationToPlanEvent, integrationMachine } from './integration.machine.js';
import {
  type JobMachineInput,
  type JobToPlanEvent,
  jobMachine,
  runningJobMachine,
} from './job.machine.js';
import { type JobSpawn, jobGroupMachine } from './job-group.machine.js';
import { addJob, reorder } from './plan/changes.js';
import { checkpointOf, mustHold } from './plan/checkpoint.js';

import { COMMAND_TYPES, type PlanCommand, rejectionOf } from './plan/commands.js';
import {
  createPlanContext,
  type JobRecord,
  type JobStatus,
  type PlanContext,
  type PlanMachineInput,
} from './plan/context.js';
import { copyPlanContext } from './plan/copy.js';
import {
  advanceIntegration,
  integrationIdOf,
  recordIntegrationEvent,
} from './plan/integration-queue.js';
import { byGroup, groupsJobs, groupsNeeded, jobTarget } from './plan/job-groups.js';
import type { PlanRecord } from './plan/records.js';
import {
  allSettled,
  allSucceeded,
  approveFailure,
  cancelAll,
  decide,
  decisionsDurable,
  mayDecide,
  queueRoots,
  recordJobEvent,
  requestCommit,
  retryJob,
  skipJob,
  someDecisionsDurable,
  takeLaunches,
} from './plan/scheduling.js';
import type { PlanStatus } from './plan/status.js';

/**
 * The plan: which jobs may start, what their outcomes mean, and where the plan waits for people.
 *
 * Every fact (a job's outcome, a command, a durable commit) arrives as an event and is recorded
 * in context by a root-level handler, whatever state the plan is in, so none is ever dropped.
 * State changes follow from the recorded facts through eventless transitions. The `running`
 * state's `idle` / `reconciling` / `reconcilePending` trio runs the scheduling pass: a fact
 * recorded while a pass waits for its decisions to become durable moves it to
 * `reconcilePending`, which runs the next pass at once; each pass's jobs start when its own
 * decisions are durable.
 */

export type CommitSucceededEvent = { type: 'COMMIT_SUCCEEDED'; upTo: number };
/** The store could not make the plan's decisions durable. */
export type CommitFailedEvent = { type: 'COMMIT_FAILED'; error: ErrorInfo };
export type PlanEvent =
  | JobToPlanEvent
  | IntegrationToPlanEvent
  | PlanCommand
  | CommitSucceededEvent
  | CommitFailedEvent;

/** What `finalize` receives: every job's final status and output. */
export interface PlanSummary {
  planId: string;
  jobs: Array<{ id: string; status: JobStatus; output: unknown }>;
}

/** What the machine emits: its records, and requests to make them durable. */
export type PlanEmitted =
  | { type: 'records'; records: PlanRecord[] }
  | { type: 'commit'; upTo: number };

/** The plan status of a plan machine snapshot. */
export function planStatusOf(snapshot: AnyMachineSnapshot): PlanStatus {
  const value = snapshot.value;
  return (typeof value === 'string' ? value : Object.keys(value)[0]) as PlanStatus;
}

function jobActorInput(job: JobRecord): JobMachineInput {
  // Every field set, in one order, without spreads; `undefined` when it does not apply.
  return {
    jobId: job.id,
    firstAttempt: job.attempt,
    retry: job.retry,
    timeoutMs: job.timeoutMs,
    verify: job.verify,
    reverify: job.reverify ? { output: job.output } : undefined,
    waitMs: job.waitMs !== null ? job.waitMs : undefined,
  };
}

function integrationInput(ctx: PlanContext, job: JobRecord) {
  const settings = ctx.integration!;
  return {
    jobId: job.id,
    integrationId: integrationIdOf(job),
    output: job.output,
    check: settings.check,
    rollback: settings.rollback,
    rollbackFirst: job.rollbackFirst,
    checkTimeoutMs: settings.checkTimeoutMs,
  };
}

function summaryOf(ctx: PlanContext): PlanSummary {
  return {
    planId: ctx.planId,
    jobs: ctx.order.map((id) => {
      const job = ctx.jobs[id]!;
      return { id, status: job.status, output: job.output };
    }),
  };
}

/** Commands handled at the root, in every state: the machine checks each before applying it. */
const COMMAND_HANDLERS = Object.fromEntries(
  [...COMMAND_TYPES].map((type) => [type, { actions: 'handleCommand' as const }]),
) as Record<PlanCommand['type'], { actions: 'handleCommand' }>;

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

/**
 * The plan machine as the runtime runs it: schedules the jobs, one job actor each, and learns
 * their outcomes only from its mailbox. Its actions update the context in place, so that an
 * event costs O(the jobs it touches) and not O(plan): only an actor that owns the context (the
 * orchestrator's) may run it. Everyone else gets `planMachine`.
 */
export const planRuntimeMachine = setup({
  types: {
    input: {} as PlanMachineInput,
    context: {} as PlanContext,
    events: {} as PlanEvent,
    emitted: {} as PlanEmitted,
  },
  actors: {
    job: jobMachine,
    // A job launched to run at once starts in `running` (see `enteredRunning`).
    runningJob: runningJobMachine,
    // Holds job actors when the plan may run more at once than one children map should hold.
    jobGroup: jobGroupMachine,
    integration: integrationMachine,
    // A placeholder; the orchestrator provides the plan's `finalize` hook.
    finalize: fromPromise<unknown, PlanSummary>(async () => undefined),
  },
  guards: {
    dirty: ({ context }) => context.dirty,
    // One guard where the plan spends most of its time, so that a step with nothing to act on
    // evaluates one guard: `attention` in `idle`, `clearToLaunch` after a pass.
    attention: ({ context }) =>
      context.dirty ||
      context.cancel !== null ||
      context.failedBy !== null ||
      mustHold(context) ||
      allSettled(context),
    clearToLaunch: ({ context }) =>
      decisionsDurable(context) &&
      context.cancel === null &&
      context.failedBy === null &&
      context.persistenceFailure === null,
    // With write-ahead: an earlier pass's decisions became durable while a later one's are
    // still being written; they start now.
    earlierPassDurable: ({ context }) => someDecisionsDurable(context),
    // A fact recorded while the decisions wait to be written: the next pass runs at once, and
    // its decisions join the next write.
    passOwed: ({ context }) => context.dirty && mayDecide(context),
    cancelRequested: ({ context }) => context.cancel !== null,
    failing: ({ context }) => context.failedBy !== null,
    mustPause: ({ context }) => mustHold(context),
    persistenceFailed: ({ context }) => context.persistenceFailure !== null,
    mayResume: ({ context }) => !mustHold(context),
    startApproved: ({ context }) => context.startApproved,
    needsPreFinalize: ({ context }) =>
      context.mode === 'supervisor' &&
      !context.finalize.approved &&
      allSettled(context) &&
      allSucceeded(context),
    readyToFinalize: ({ context }) =>
      context.finalize.enabled &&
      !context.finalize.done &&
      allSettled(context) &&
      allSucceeded(context),
    allSucceeded: ({ context }) => allSettled(context) && allSucceeded(context),
    allSettled: ({ context }) => allSettled(context),
    pauseOnFinalizeFailure: ({ context }) => context.onJobFailure === 'pause',
  },
  actions: {
    begin: enqueueActions(({ context, enqueue }) => {
      if (context.resumed) return; // the orchestrator recorded how it resumed
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
    recordIntegrationEvent: enqueueActions(({ context, event, enqueue }) => {
      const records: PlanRecord[] = [];
      recordIntegrationEvent(context, event as IntegrationToPlanEvent, records);
      enqueue.emit({ type: 'records', records });
    }),
    // An integration actor ended (job actors are slots that live as long as the plan). Counters
    // change in place, like the rest of the context: an `assign` copies the whole context.
    retireActor: enqueueActions(({ context }) => {
      context.actors--;
    }),
    recordCommitFailure: enqueueActions(({ context, event, enqueue }) => {
      const { error } = event as CommitFailedEvent;
      context.persistenceFailure = error;
      enqueue.emit({ type: 'records', records: [{ type: 'persistence-failed', error }] });
    }),
    recordCommitted: enqueueActions(({ context, event }) => {
      context.commitDurable = Math.max(context.commitDurable, (event as CommitSucceededEvent).upTo);
    }),
    handleCommand: enqueueActions(({ context, event, self, enqueue }) => {
      const command = event as PlanCommand;
      // `self` still holds the snapshot from before this event: the state the command met.
      const status = planStatusOf(self.getSnapshot());
      const reason = rejectionOf(status, context, command);
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
          approve(status, context, command.jobId, records);
          break;
        case 'RETRY_JOB':
          retryJob(context, context.jobs[command.jobId]!, command.from ?? 'run', records);
          break;
        case 'RETRY_FINALIZE':
          context.finalize.failure = null;
          break;
        case 'SKIP_JOB': {
          const slot = skipJob(context, context.jobs[command.jobId]!, command.reason, records);
          if (slot !== null) cancelSlots.push({ slot, why: 'skipped', detail: command.reason });
          break;
        }
        case 'ADD_JOB':
          if (context.mode === 'supervisor') {
            context.proposed.push(command.job);
            records.push({ type: 'change-proposed', jobId: command.job.id, job: command.job });
          } else {
            addJob(context, command.job, records);
          }
          break;
        case 'REORDER':
          reorder(context, command.jobIds);
          context.dirty = true;
          break;
        case 'PAUSE':
          context.userPaused = true;
          break;
        case 'RESUME':
          if (context.persistenceFailure) {
            // Try the write again; the decisions it carries are still pending.
            context.persistenceFailure = null;
            context.commitRequested++;
            enqueue.emit({ type: 'commit', upTo: context.commitRequested });
          }
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
        const cancel = { type: 'CANCEL', why, ...(detail ? { detail } : {}) } as const;
        enqueue.sendTo(...jobTarget(context, slot, cancel));
      }
    }),
    decide: enqueueActions(({ context, enqueue }) => {
      const records: PlanRecord[] = [];
      decide(context, records);
      advanceIntegration(context, records);
      if (records.length > 0) enqueue.emit({ type: 'records', records });
      if (requestCommit(context)) enqueue.emit({ type: 'commit', upTo: context.commitRequested });
    }),
    launch: enqueueActions(({ context, enqueue }) => {
      const records: PlanRecord[] = [];
      const { launch, start, integrate } = takeLaunches(context, records);
      if (integrate) {
        const input = integrationInput(context, integrate);
        integrate.rollbackFirst = false; // only the integration cut by a restart rolls back first
        enqueue.spawnChild('integration', { id: 'integration', input });
        context.actors++;
      }
      if (groupsJobs(context)) {
        for (const group of groupsNeeded(context)) enqueue.spawnChild('jobGroup', { id: group });
      }
      // Spawns job actors: in their groups, or as the plan's own children.
      const spawnJobActors = (spawns: JobSpawn[]) => {
        if (groupsJobs(context)) {
          for (const [group, batch] of byGroup(spawns)) {
            enqueue.sendTo(group, { type: 'SPAWN_JOBS', spawns: batch });
          }
        } else if (spawns.length === 1) {
          // XState copies the children map for each spawnChild and the whole context for an
          // assign: one job at a time is cheaper spawned alone, a batch in one assign.
          const { src, id, input } = spawns[0]!;
          enqueue.spawnChild(src, { id, input });
        } else if (spawns.length > 1) {
          enqueue.assign(({ spawn }) => {
            for (const { src, id, input } of spawns) spawn(src, { id, input });
            return {};
          });
        }
      };
      // In the order decided: new slots' actors spawned together, each resting one handed its job.
      const spawns: JobSpawn[] = [];
      for (const job of launch) {
        const slot = job.slot!;
        const input = jobActorInput(job);
        job.waitMs = null; // a restored delay is waited out once
        if (context.slotActors[slot]) {
          spawnJobActors(spawns.splice(0));
          enqueue.sendTo(...jobTarget(context, slot, { type: 'RUN', job: input }));
          continue;
        }
        context.slotActors[slot] = true;
        const src = job.status === 'running' ? ('runningJob' as const) : ('job' as const);
        spawns.push({ src, id: slot, input });
      }
      spawnJobActors(spawns);
      for (const job of start) {
        enqueue.sendTo(...jobTarget(context, job.slot!, { type: 'START_ATTEMPT' }));
      }
      // After the spawns and sends: by the time this is emitted, the attempts have started.
      if (records.length > 0) enqueue.emit({ type: 'records', records });
    }),
    openPreFinalize: enqueueActions(({ context }) => {
      context.gate = { name: 'pre_finalize' };
    }),
    recordPaused: enqueueActions(({ context, enqueue }) => {
      const checkpoint = checkpointOf('paused', context)!;
      enqueue.emit({ type: 'records', records: [{ type: 'plan-paused', checkpoint }] });
    }),
    recordResumed: enqueueActions(({ context, enqueue }) => {
      context.dirty = true; // what was recorded while paused is acted on now
      enqueue.emit({ type: 'records', records: [{ type: 'plan-resumed' }] });
    }),
    recordFinalizeStarted: enqueueActions(({ enqueue }) => {
      enqueue.emit({ type: 'records', records: [{ type: 'finalize-started' }] });
    }),
    recordFinalized: enqueueActions(({ context, event, enqueue }) => {
      context.finalize.done = true;
      const output = (event as { output?: unknown }).output;
      enqueue.emit({ type: 'records', records: [{ type: 'finalize-succeeded', output }] });
    }),
    recordFinalizeFailure: enqueueActions(({ context, event, enqueue }) => {
      const error = toErrorInfo((event as { error?: unknown }).error);
      if (context.onJobFailure === 'pause') context.finalize.failure = error;
      enqueue.emit({ type: 'records', records: [{ type: 'finalize-failed', error }] });
    }),
    finishCompleted: enqueueActions(({ enqueue }) => {
      enqueue.emit({ type: 'records', records: [{ type: 'plan-completed' }] });
    }),
    finishFailed: enqueueActions(({ context, enqueue }) => {
      const records: PlanRecord[] = [];
      const slots = cancelAll(context, records);
      records.push({ type: 'plan-failed', reason: failureReason(context) });
      enqueue.emit({ type: 'records', records });
      for (const slot of slots) {
        enqueue.sendTo(...jobTarget(context, slot, { type: 'CANCEL', why: 'canceled' }));
      }
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
    JOB_PROGRESS: { actions: 'recordJobEvent' },
    JOB_VERIFYING: { actions: 'recordJobEvent' },
    JOB_COMPLETED: { actions: 'recordJobEvent' },
    JOB_FAILED: { actions: 'recordJobEvent' },
    JOB_ATTEMPT_DUE: { actions: 'recordJobEvent' },
    INTEGRATION_DONE: { actions: 'recordIntegrationEvent' },
    INTEGRATION_FAILED: { actions: 'recordIntegrationEvent' },
    COMMIT_SUCCEEDED: { actions: 'recordCommitted' },
    COMMIT_FAILED: { actions: 'recordCommitFailure' },
    'xstate.done.actor.*': { actions: 'retireActor' },
    ...COMMAND_HANDLERS,
  },
  states: {
    awaitingApproval: {
      always: [
        { guard: 'cancelRequested', target: 'canceled' },
        { guard: 'startApproved', target: 'running' },
      ],
    },
    running: {
      // Through `idle`, so that a plan that must hold (a restored pause) holds before any pass.
      initial: 'idle',
      states: {
        idle: {
          // A job's outcome is what a pass is usually for: it goes straight to one (a pass
          // decides nothing while the plan must stop or hold; `triage` then sees to that).
          on: {
            JOB_COMPLETED: { target: 'reconciling', actions: 'recordJobEvent' },
            JOB_FAILED: { target: 'reconciling', actions: 'recordJobEvent' },
            JOB_ATTEMPT_DUE: { target: 'reconciling', actions: 'recordJobEvent' },
          },
          always: { guard: 'attention', target: 'triage' },
        },
        // Something recorded calls for the plan to stop, hold, finish or run a pass.
        triage: {
          always: [
            { guard: 'cancelRequested', target: '#plan.canceled' },
            { guard: 'failing', target: '#plan.failed' },
            { guard: 'mustPause', target: '#plan.paused' },
            { guard: 'needsPreFinalize', target: '#plan.paused', actions: 'openPreFinalize' },
            { guard: 'readyToFinalize', target: '#plan.finalizing' },
            { guard: 'allSucceeded', target: '#plan.completed' },
            { guard: 'allSettled', target: '#plan.failed' },
            { guard: 'dirty', target: 'reconciling' },
          ],
        },
        reconciling: {
          entry: 'decide',
          always: [
            { guard: 'clearToLaunch', target: 'idle', actions: 'launch' },
            { guard: 'cancelRequested', target: '#plan.canceled' },
            { guard: 'failing', target: '#plan.failed' },
            // The decisions could not be stored: hold them until RESUME writes them again.
            { guard: 'persistenceFailed', target: '#plan.paused' },
            { guard: 'earlierPassDurable', actions: 'launch' },
            { guard: 'dirty', target: 'reconcilePending' },
          ],
        },
        reconcilePending: {
          always: [
            // Back through `idle`, which runs the owed pass at once unless the plan must stop.
            { guard: 'clearToLaunch', target: 'idle', actions: 'launch' },
            { guard: 'cancelRequested', target: '#plan.canceled' },
            { guard: 'failing', target: '#plan.failed' },
            { guard: 'persistenceFailed', target: '#plan.paused' },
            { guard: 'earlierPassDurable', actions: 'launch' },
            { guard: 'passOwed', target: 'reconciling' },
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
    finalizing: {
      entry: 'recordFinalizeStarted',
      always: { guard: 'cancelRequested', target: 'canceled' },
      invoke: {
        src: 'finalize',
        input: ({ context }) => summaryOf(context),
        onDone: { target: 'completed', actions: 'recordFinalized' },
        onError: [
          { guard: 'pauseOnFinalizeFailure', target: 'paused', actions: 'recordFinalizeFailure' },
          { target: 'failed', actions: 'recordFinalizeFailure' },
        ],
      },
    },
    completed: { type: 'final', entry: 'finishCompleted' },
    failed: { type: 'final', entry: 'finishFailed' },
    canceled: { type: 'final', entry: 'finishCanceled' },
  },
});

/**
 * The plan machine for visualisation, inspection and tests by event sequences: the same
 * statechart, with pure transitions. `transition(planMachine, snapshot, event)` works on a copy
 * of the snapshot's context (O(jobs) per event), so the snapshot given stays as it was and two
 * transitions from it are independent.
 */
export const planMachine: typeof planRuntimeMachine = withPureTransitions(planRuntimeMachine);

function withPureTransitions(machine: typeof planRuntimeMachine): typeof planRuntimeMachine {
  const pure = machine.provide({});
  const step = pure.transition.bind(pure);
  pure.transition = (snapshot, event, scope) => {
    // Like an actor, the scope's `self` holds the snapshot the event meets (`handleCommand`
    // reads the plan's status there); XState's inert scope for `transition()` holds none.
    const self = Object.create(scope.self, { getSnapshot: { value: () => snapshot } });
    const copy = { ...snapshot, context: copyPlanContext(snapshot.context) };
    return step(copy, event, { ...scope, self });
  };
  return pure;
}

/** `APPROVE` at whatever checkpoint the plan holds at. */
function approve(
  status: PlanStatus,
  ctx: PlanContext,
  jobId: string | undefined,
  out: PlanRecord[],
): void {
  const checkpoint = checkpointOf(status, ctx)!;
  if (checkpoint.name === 'user' || checkpoint.name === 'persistence') return; // see rejectionOf
  const about = jobId ?? ('jobId' in checkpoint ? checkpoint.jobId : undefined);
  out.push({
    type: 'approved',
    checkpoint: checkpoint.name,
    ...(about !== undefined ? { jobId: about } : {}),
  });
  switch (checkpoint.name) {
    case 'start':
      ctx.startApproved = true;
      return;
    case 'on_error':
      // A failed finalize is not approvable (see rejectionOf): this names a job.
      if ('jobId' in checkpoint) approveFailure(ctx, ctx.jobs[jobId ?? checkpoint.jobId]!, out);
      return;
    case 'pre_change':
      for (const job of ctx.proposed.splice(0)) addJob(ctx, job, out);
      return;
    case 'pre_run':
      ctx.jobs[checkpoint.jobId]!.runApproved = true;
      ctx.gate = null;
      ctx.dirty = true;
      return;
    case 'pre_integrate':
      ctx.jobs[checkpoint.jobId]!.integrateApproved = true;
      ctx.gate = null;
      ctx.dirty = true;
      return;
    case 'pre_finalize':
      ctx.finalize.approved = true;
      ctx.gate = null;
      return;
  }
}
