import type { JobToPlanEvent } from '../job.machine.js';
import { attemptIdOf } from '../retry.js';
import { mustHold } from './checkpoint.js';
import { type JobRecord, type PlanContext, TERMINAL_STATUSES } from './context.js';
import { popReady, pushReady } from './ready-queue.js';
import type { PlanRecord } from './records.js';

/**
 * The plan's bookkeeping. Each function updates the context in place for one fact and appends
 * the records it produced to `out`. Work is proportional to the jobs the fact touches (a job's
 * dependents), never to the size of the plan, except for `cancelAll`, which ends the plan.
 */

type Out = PlanRecord[];

export function queueRoots(ctx: PlanContext, out: Out): void {
  for (const id of ctx.order) {
    const job = ctx.jobs[id]!;
    if (job.status === 'waiting' && job.waitingOn === 0) queue(ctx, job, out);
  }
}

export function queue(ctx: PlanContext, job: JobRecord, out: Out): void {
  job.status = 'queued';
  pushReady(ctx.ready, job.pathPriority, job.index);
  out.push({ type: 'job-queued', jobId: job.id });
}

/** A job whose actor holds a slot. */
export function isLive(job: JobRecord): boolean {
  return job.status === 'running' || job.status === 'retrying' || job.status === 'verifying';
}

function releaseSlot(ctx: PlanContext, job: JobRecord): void {
  if (job.slot !== null) ctx.freeSlots.push(job.slot);
  job.slot = null;
  job.due = false;
  ctx.live--;
}

export function settle(ctx: PlanContext, job: JobRecord, status: JobRecord['status']): void {
  job.status = status;
  ctx.settled++;
}

/** One dependency of each dependent is done; dependents with none left become ready. */
function release(ctx: PlanContext, job: JobRecord, out: Out): void {
  for (const id of job.dependents) {
    const dependent = ctx.jobs[id]!;
    dependent.waitingOn--;
    if (dependent.waitingOn === 0 && dependent.status === 'waiting') queue(ctx, dependent, out);
  }
}

/** Every job that transitively depends on `job` and has not started can no longer succeed. */
export function blockDependents(ctx: PlanContext, job: JobRecord, out: Out): void {
  const stack = [job];
  while (stack.length > 0) {
    const current = stack.pop()!;
    for (const id of current.dependents) {
      const dependent = ctx.jobs[id]!;
      if (dependent.status !== 'waiting') continue;
      settle(ctx, dependent, 'blocked');
      dependent.blockedBy = job.id;
      out.push({ type: 'job-blocked', jobId: id, by: job.id });
      stack.push(dependent);
    }
  }
}

/** A job that can no longer succeed, from the point of view of its dependents. */
export function isDead(ctx: PlanContext, job: JobRecord): boolean {
  return (
    job.status === 'failed' ||
    job.status === 'blocked' ||
    job.status === 'canceled' ||
    (job.status === 'skipped' && ctx.onSkip === 'block')
  );
}

/**
 * A job that `strict` integration order had passed over (it had failed or was blocked) needs
 * integrating again: move the order's position back to it.
 */
function rewindStrictOrder(ctx: PlanContext, job: JobRecord): void {
  if (ctx.integration?.order !== 'strict') return;
  const position = ctx.strictOrder.indexOf(job.id);
  if (position < ctx.strictNext) ctx.strictNext = position;
}

/** Undoes `blockDependents` for the dependents that no other dead dependency holds back. */
function unblockDependents(ctx: PlanContext, job: JobRecord, out: Out): void {
  const stack = [job];
  while (stack.length > 0) {
    const current = stack.pop()!;
    for (const id of current.dependents) {
      const dependent = ctx.jobs[id]!;
      if (dependent.status !== 'blocked') continue;
      if (dependent.dependsOn.some((dep) => isDead(ctx, ctx.jobs[dep]!))) continue;
      dependent.status = 'waiting';
      dependent.blockedBy = undefined;
      ctx.settled--;
      rewindStrictOrder(ctx, dependent);
      out.push({ type: 'job-unblocked', jobId: id });
      stack.push(dependent);
    }
  }
}

/** True once the job's actor exists (a launch decided by a pass waits for its commit). */
function isSpawned(ctx: PlanContext, job: JobRecord): boolean {
  return job.slot !== null && !ctx.toLaunch.includes(job.id);
}

function reserveSlot(ctx: PlanContext): string {
  return ctx.freeSlots.pop() ?? `slot-${ctx.slotCount++}`;
}

/** The plan is ending or must hold: a pass decides nothing and stays owed. */
export function mayDecide(ctx: PlanContext): boolean {
  return ctx.cancel === null && ctx.failedBy === null && !mustHold(ctx);
}

/**
 * The launching part of a pass: start the next attempt of retrying jobs whose backoff is over,
 * then fill free slots from the ready queue. The decisions are recorded now and carried out by
 * `takeLaunches` once they are durable.
 */
export function decide(ctx: PlanContext, out: Out): void {
  if (!mayDecide(ctx)) return;
  ctx.dirty = false;
  for (const id of ctx.dueJobs) {
    const job = ctx.jobs[id]!;
    if (job.status !== 'retrying' || !job.due) continue;
    job.due = false;
    job.status = 'running';
    startAttempt(job, out);
    ctx.toStart.push(id);
    ctx.toStartCommit.push(passCommit(ctx));
  }
  ctx.dueJobs.length = 0;
  while (ctx.live < ctx.maxParallel) {
    const index = popReady(ctx.ready);
    if (index < 0) break;
    const job = ctx.jobs[ctx.order[index]!]!;
    if (job.status !== 'queued') continue;
    if (job.requiresApproval && !job.runApproved) {
      // Held where it would start: the plan pauses at `pre_run` until the job is approved.
      pushReady(ctx.ready, job.pathPriority, job.index);
      ctx.gate ??= { name: 'pre_run', jobId: job.id };
      break;
    }
    job.slot = reserveSlot(ctx);
    ctx.live++;
    if (job.reverify) {
      job.status = 'verifying';
      out.push({ type: 'verify-started', jobId: job.id, attemptId: job.attemptId! });
    } else {
      job.status = 'running';
      startAttempt(job, out);
    }
    ctx.toLaunch.push(job.id);
    ctx.toLaunchCommit.push(passCommit(ctx));
  }
}

/**
 * The commit that makes this pass's decisions durable: the next one asked for (none without
 * write-ahead). A pass may run while an earlier pass's commit is still being written; each
 * decision waits only for its own.
 */
export function passCommit(ctx: PlanContext): number {
  return ctx.writeAhead ? ctx.commitRequested + 1 : 0;
}

/** With write-ahead, asks for the pass's decisions to be made durable; true when it asked. */
export function requestCommit(ctx: PlanContext): boolean {
  const next = ctx.commitRequested + 1;
  const decided =
    ctx.toLaunchCommit.at(-1) === next ||
    ctx.toStartCommit.at(-1) === next ||
    (ctx.toIntegrate !== null && ctx.toIntegrateCommit === next);
  if (!ctx.writeAhead || !decided) return false;
  ctx.commitRequested++;
  return true;
}

function startAttempt(job: JobRecord, out: Out): void {
  job.attempt++;
  job.attemptId = attemptIdOf(job.id, job.attempt);
  out.push({
    type: 'attempt-started',
    jobId: job.id,
    attemptId: job.attemptId,
    attempt: job.attempt,
  });
}

export function decisionsDurable(ctx: PlanContext): boolean {
  return !ctx.writeAhead || ctx.commitDurable >= ctx.commitRequested;
}

/** Some decision, of an earlier pass than the latest, is durable and waits to be carried out. */
export function someDecisionsDurable(ctx: PlanContext): boolean {
  const durable = ctx.commitDurable;
  return (
    (ctx.toLaunchCommit[0] ?? Number.POSITIVE_INFINITY) <= durable ||
    (ctx.toStartCommit[0] ?? Number.POSITIVE_INFINITY) <= durable ||
    (ctx.toIntegrate !== null && ctx.toIntegrateCommit <= durable)
  );
}

/** How many of the first entries were decided by passes whose commit is durable. */
function durablePrefix(commits: readonly number[], durable: number): number {
  let n = 0;
  while (n < commits.length && commits[n]! <= durable) n++;
  return n;
}

/**
 * Hands the decided launches, starts and integration whose commit is durable over to the machine
 * to carry out, in the order decided. A job launched as `running`, and every job told to start,
 * enters the job machine's `running` state (its attempt starts) as the machine carries this out:
 * `attempt-running` records that.
 */
export function takeLaunches(
  ctx: PlanContext,
  out: Out,
): {
  launch: JobRecord[];
  start: JobRecord[];
  integrate: JobRecord | null;
} {
  const durable = ctx.writeAhead ? ctx.commitDurable : Number.POSITIVE_INFINITY;
  const launchCount = durablePrefix(ctx.toLaunchCommit, durable);
  const startCount = durablePrefix(ctx.toStartCommit, durable);
  const launch = ctx.toLaunch
    .splice(0, launchCount)
    .map((id) => ctx.jobs[id]!)
    .filter(isLive);
  lastJobTakesLastFreedSlot(launch);
  ctx.toLaunchCommit.splice(0, launchCount);
  const start = ctx.toStart
    .splice(0, startCount)
    .map((id) => ctx.jobs[id]!)
    .filter((job) => job.status === 'running');
  ctx.toStartCommit.splice(0, startCount);
  const integrateNow = ctx.toIntegrate !== null && ctx.toIntegrateCommit <= durable;
  const integrating = integrateNow ? ctx.jobs[ctx.toIntegrate!]! : null;
  if (integrateNow) ctx.toIntegrate = null;
  for (const job of launch) if (job.status === 'running') attemptRunning(job, out);
  for (const job of start) attemptRunning(job, out);
  return { launch, start, integrate: integrating?.status === 'integrating' ? integrating : null };
}

/**
 * The first job of a pass took the slot freed last, whose actor, when a job's outcome started
 * this pass, is still busy reporting it: a job handed to that actor starts only after every
 * other. Given to the pass's last job instead, the jobs start in the order the pass decided.
 */
function lastJobTakesLastFreedSlot(launch: JobRecord[]): void {
  if (launch.length < 2) return;
  const first = launch[0]!;
  const last = launch[launch.length - 1]!;
  [first.slot, last.slot] = [last.slot, first.slot];
}

function attemptRunning(job: JobRecord, out: Out): void {
  out.push({ type: 'attempt-running', jobId: job.id, attemptId: job.attemptId! });
}

function ignore(out: Out, event: JobToPlanEvent, why: string): void {
  out.push({
    type: 'result-ignored',
    jobId: event.jobId,
    attemptId: event.attemptId,
    event: event.type,
    why,
  });
}

/** Why an event from a job is not about the job's current attempt, or null when it is. */
function staleness(ctx: PlanContext, event: JobToPlanEvent): string | null {
  const job = ctx.jobs[event.jobId];
  if (!job) return `no job "${event.jobId}" in this plan`;
  if (event.type === 'JOB_ATTEMPT_DUE') {
    return job.status === 'retrying' && event.attempt === job.attempt + 1
      ? null
      : `job is ${job.status} at attempt ${job.attempt}`;
  }
  if (job.attemptId !== event.attemptId) {
    return `attempt is not current (current: ${job.attemptId ?? 'none'})`;
  }
  if (!isLive(job)) return `job is already ${job.status}`;
  // The attempt failed or timed out and the job waits to try again; what the attempt's code does
  // after it was stopped (a command killed by its timeout exits now) is not the job's outcome.
  if (job.status === 'retrying' && event.type !== 'JOB_PROGRESS') {
    return `attempt ${event.attemptId} already ended; the job waits to retry`;
  }
  return null;
}

/** Records what a job reported; a fact that may let the plan progress marks it dirty. */
export function recordJobEvent(ctx: PlanContext, event: JobToPlanEvent, out: Out): void {
  const stale = staleness(ctx, event);
  if (stale !== null) {
    ignore(out, event, stale);
    return;
  }
  const job = ctx.jobs[event.jobId]!;
  switch (event.type) {
    case 'JOB_PROGRESS':
      out.push({
        type: 'job-progress',
        jobId: job.id,
        attemptId: event.attemptId,
        progress: event.progress,
      });
      return;
    case 'JOB_VERIFYING':
      job.status = 'verifying';
      out.push({ type: 'job-verifying', jobId: job.id, attemptId: event.attemptId });
      return;
    case 'JOB_ATTEMPT_DUE':
      job.due = true;
      ctx.dueJobs.push(job.id);
      ctx.dirty = true;
      out.push({ type: 'attempt-due', jobId: job.id, attemptId: event.attemptId });
      return;
    case 'JOB_COMPLETED':
      job.output = event.output;
      releaseSlot(ctx, job);
      finishRun(ctx, job, out);
      return;
    case 'JOB_FAILED': {
      const failure = {
        kind: event.kind,
        error: event.error,
        ...(event.violations ? { violations: event.violations } : {}),
      };
      job.failure = failure;
      if (event.willRetry) {
        job.status = 'retrying';
        out.push({
          type: 'attempt-failed',
          jobId: job.id,
          attemptId: event.attemptId,
          kind: event.kind,
          error: event.error,
          retryInMs: event.retryInMs ?? 0,
        });
        return;
      }
      if (event.kind === 'verification') job.output = event.output;
      releaseSlot(ctx, job);
      failJob(ctx, job, event.attemptId, failure, out);
      return;
    }
  }
}

/**
 * A job's work is done and accepted: it succeeds, or, with an integration stage, waits for its
 * turn to integrate. Its dependents are released only when it succeeded.
 */
export function finishRun(ctx: PlanContext, job: JobRecord, out: Out, approved = false): void {
  ctx.dirty = true;
  if (ctx.integration) {
    job.status = 'awaitingIntegration';
    job.rank ??= ctx.completions++;
    pushReady(ctx.awaiting, -job.rank, job.index);
    out.push(ranRecord('job-ran', job, approved));
    return;
  }
  out.push(ranRecord('job-succeeded', job, approved));
  succeed(ctx, job, out);
}

/** Built field by field (no object spread: it is on every job's path). */
function ranRecord<T extends 'job-ran' | 'job-succeeded'>(
  type: T,
  job: JobRecord,
  approved: boolean,
) {
  const record: { type: T; jobId: string; attemptId: string; output: unknown; approved?: true } = {
    type,
    jobId: job.id,
    attemptId: job.attemptId!,
    output: job.output,
  };
  if (approved) record.approved = true;
  return record;
}

export function succeed(ctx: PlanContext, job: JobRecord, out: Out): void {
  settle(ctx, job, 'succeeded');
  ctx.dirty = true;
  release(ctx, job, out);
}

export function failJob(
  ctx: PlanContext,
  job: JobRecord,
  attemptId: string,
  failure: NonNullable<JobRecord['failure']>,
  out: Out,
): void {
  job.failure = failure;
  settle(ctx, job, 'failed');
  ctx.dirty = true;
  const kept = failure.kind === 'verification' ? { output: job.output } : {};
  out.push({ type: 'job-failed', jobId: job.id, attemptId, ...failure, ...kept });
  onFailure(ctx, job, out);
}

function onFailure(ctx: PlanContext, job: JobRecord, out: Out): void {
  if (ctx.onJobFailure === 'pause') ctx.unresolved.push(job.id);
  else blockDependents(ctx, job, out);
  if (ctx.onJobFailure === 'fail' && ctx.failedBy === null) ctx.failedBy = job.id;
}

/**
 * `RETRY_JOB` of a failed job, from the step named: `run` (a fresh retry budget), `verify` (check
 * the kept result again) or `integrate`. Its blocked dependents wait again.
 */
export function retryJob(
  ctx: PlanContext,
  job: JobRecord,
  from: 'run' | 'verify' | 'integrate',
  out: Out,
): void {
  removeUnresolved(ctx, job.id);
  ctx.settled--;
  job.failure = undefined;
  rewindStrictOrder(ctx, job);
  if (from === 'integrate') {
    job.status = 'awaitingIntegration';
    pushReady(ctx.awaiting, -(job.rank ?? 0), job.index);
    out.push({ type: 'integration-requeued', jobId: job.id });
  } else {
    job.reverify = from === 'verify';
    if (from === 'run') job.output = undefined;
    queue(ctx, job, out);
  }
  unblockDependents(ctx, job, out);
  ctx.dirty = true;
}

/**
 * `APPROVE` at `on_error`. A result that failed verification is accepted as it is; an attempt
 * held as interrupted is accepted as done (a person vouches for it) and the job succeeds with no
 * output; any other failure stands, and the job's dependents are blocked.
 */
export function approveFailure(ctx: PlanContext, job: JobRecord, out: Out): void {
  removeUnresolved(ctx, job.id);
  ctx.dirty = true;
  const kind = job.failure?.kind;
  if (kind === 'verification' || kind === 'interrupted') {
    ctx.settled--;
    job.failure = undefined;
    if (kind === 'interrupted') job.output = undefined;
    finishRun(ctx, job, out, true);
    return;
  }
  blockDependents(ctx, job, out);
}

export function removeUnresolved(ctx: PlanContext, jobId: string): void {
  const at = ctx.unresolved.indexOf(jobId);
  if (at >= 0) ctx.unresolved.splice(at, 1);
}

/**
 * `SKIP_JOB`. Returns the slot of a job actor that must be told, or null. A skipped job counts
 * as done for its dependents under `onSkip: 'release'` and blocks them under `'block'`.
 */
export function skipJob(
  ctx: PlanContext,
  job: JobRecord,
  reason: string | undefined,
  out: Out,
): string | null {
  const slot = isSpawned(ctx, job) ? job.slot : null;
  if (isLive(job)) releaseSlot(ctx, job);
  if (job.status === 'failed') {
    removeUnresolved(ctx, job.id);
    job.status = 'skipped';
  } else if (job.status === 'blocked') {
    job.status = 'skipped';
  } else {
    settle(ctx, job, 'skipped');
  }
  out.push({ type: 'job-skipped', jobId: job.id, ...(reason ? { reason } : {}) });
  releaseRunGate(ctx, job.id);
  if (ctx.onSkip === 'release') {
    unblockDependents(ctx, job, out);
    release(ctx, job, out);
  } else {
    blockDependents(ctx, job, out);
  }
  ctx.dirty = true;
  return slot;
}

/** A job held at `pre_run` that ends another way (skipped) no longer holds the plan. */
export function releaseRunGate(ctx: PlanContext, jobId: string): void {
  if (ctx.gate?.name === 'pre_run' && ctx.gate.jobId === jobId) ctx.gate = null;
}

/** Ends every job that has not ended. Returns the slots of the job actors to cancel. */
export function cancelAll(ctx: PlanContext, out: Out): string[] {
  const slots: string[] = [];
  for (const id of ctx.order) {
    const job = ctx.jobs[id]!;
    if (isLive(job)) {
      if (isSpawned(ctx, job)) slots.push(job.slot!);
      releaseSlot(ctx, job);
    } else if (TERMINAL_STATUSES.has(job.status)) {
      continue;
    }
    settle(ctx, job, 'canceled');
    out.push({ type: 'job-canceled', jobId: id });
  }
  ctx.toLaunch.length = 0;
  ctx.toLaunchCommit.length = 0;
  ctx.toStart.length = 0;
  ctx.toStartCommit.length = 0;
  ctx.ready.length = 0;
  ctx.awaiting.length = 0;
  ctx.integrating = null;
  ctx.toIntegrate = null;
  return slots;
}

export function allSettled(ctx: PlanContext): boolean {
  return ctx.settled === ctx.order.length && ctx.live === 0 && ctx.actors === 0;
}

/** True when every job succeeded or was skipped. */
export function allSucceeded(ctx: PlanContext): boolean {
  return ctx.order.every((id) => {
    const status = ctx.jobs[id]!.status;
    return status === 'succeeded' || status === 'skipped';
  });
}
