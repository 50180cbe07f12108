import {
  type JobRecord,
  type PlanContext,
  TERMINAL_STATUSES,
} from '../../machines/plan/context.js';
import { rankJobs } from '../../machines/plan/critical-path.js';
import { pushReady } from '../../machines/plan/ready-queue.js';
import type { PlanRecord } from '../../machines/plan/records.js';
import type { JournalFold } from './journal-fold.js';

export interface RestoredPlan {
  context: PlanContext;
  /** The journal folded up to its last record, to keep writing snapshots from. */
  fold: JournalFold;
  /** What the resumed plan records first: interrupted attempts and integrations, re-queued jobs. */
  records: PlanRecord[];
  /** How the plan ended, when its journal says it did. */
  finished: 'completed' | 'failed' | 'canceled' | null;
  lastSeq: number;
}

/**
 * Rebuilds a plan's state from its snapshot and journal, folded (`JournalFold.of`): the records say what happened to every job, and the
 * derived parts (dependency counters, queues, slots) are computed again from that. Work that was
 * under way when the process stopped is started again: a running attempt counts as
 * `interrupted` and the job runs again as the next attempt (or, with `onInterrupt: 'hold'`, waits
 * at `on_error` for a person); an integration is rolled back first and integrated again; the rest
 * of a retry delay is waited out from `now`. The journal may end inside a group of records written
 * together: what the lost records said is derived again from the ones kept.
 */
export function restorePlan(
  fold: JournalFold,
  now: number,
  /** Attempts still under way elsewhere (on a queue's workers): they go on, not interrupted. */
  adopted: ReadonlySet<string> = new Set(),
): RestoredPlan {
  const kept = fold.copy(); // the fold's own state becomes the plan's live state below
  const { context, retryAt, finished, seq } = fold.state;
  // Facts of a command whose records the crash cut off are recorded first, as they happened first.
  const records = [...fold.owedRecords(), ...resumeInFlight(context, retryAt, now, adopted)];
  settleDependents(context, records);
  rebuildDerived(context, records);
  return { context, fold: kept, records, finished, lastSeq: seq };
}

/** Work under way when the process stopped starts again. */
function resumeInFlight(
  ctx: PlanContext,
  retryAt: Readonly<Record<string, number>>,
  now: number,
  adopted: ReadonlySet<string>,
): PlanRecord[] {
  const records: PlanRecord[] = [];
  for (const id of ctx.order) {
    const job = ctx.jobs[id]!;
    if (job.status === 'running' && adopted.has(job.attemptId!)) {
      // Its job actor starts again in `running`, on the same attempt (see rebuildDerived).
      continue;
    }
    if (job.status === 'running' || job.status === 'verifying') {
      records.push({ type: 'attempt-interrupted', jobId: id, attemptId: job.attemptId! });
      if (job.onInterrupt === 'hold') {
        hold(ctx, job, records);
      } else {
        job.status = 'queued';
        records.push({ type: 'job-queued', jobId: id });
      }
    } else if (job.status === 'retrying') {
      // The job keeps its slot and waits out what is left of its delay (deadlines are absolute).
      job.waitMs = job.due ? 0 : Math.max(0, (retryAt[id] ?? now) - now);
      job.due = false;
    } else if (job.status === 'integrating') {
      records.push({
        type: 'integration-interrupted',
        jobId: id,
        integrationId: `${id}@${job.integrations}`,
      });
      job.status = 'awaitingIntegration';
      job.rollbackFirst = true;
      job.rank = lowestRank(ctx) - 1; // it was integrating: it goes first again
    }
  }
  return records;
}

/**
 * `onInterrupt: 'hold'`: the interrupted attempt fails with kind `interrupted` and holds the plan
 * at `on_error` whatever `onJobFailure` says, since only a person can tell whether its work was
 * done. `RETRY_JOB` runs it again, `SKIP_JOB` skips it, `APPROVE` accepts it as done.
 */
function hold(ctx: PlanContext, job: JobRecord, records: PlanRecord[]): void {
  const attemptId = job.attemptId!;
  const error = {
    name: 'InterruptedError',
    message: `attempt ${attemptId} was running when the process stopped; its job holds (onInterrupt: "hold"): RETRY_JOB runs it again, SKIP_JOB skips it, APPROVE accepts it as done`,
  };
  job.status = 'failed';
  job.failure = { kind: 'interrupted', error };
  ctx.unresolved.push(job.id);
  records.push({ type: 'job-failed', jobId: job.id, attemptId, kind: 'interrupted', error });
}

function lowestRank(ctx: PlanContext): number {
  let lowest = 0;
  for (const id of ctx.order) lowest = Math.min(lowest, ctx.jobs[id]!.rank ?? 0);
  return lowest;
}

/**
 * True when `job` holds its dependents back for good, as the plan machine's `blockDependents`
 * decides: a failure that stands (not one still awaiting a decision at `on_error`), a blocked job,
 * or a skip under `onSkip: 'block'`. A canceled job does not: only a plan that ends cancels.
 */
function blocks(ctx: PlanContext, job: JobRecord): boolean {
  switch (job.status) {
    case 'failed':
      return !ctx.unresolved.includes(job.id);
    case 'blocked':
      return true;
    case 'skipped':
      return ctx.onSkip === 'block';
    default:
      return false;
  }
}

/**
 * What the jobs' statuses mean for their dependents, derived again: the records that said so were
 * written in the same group as the fact and may have been lost with the end of that group. A
 * waiting job with a dependency that blocks it is blocked; a blocked job none of whose
 * dependencies blocks it any more (the dependency was retried, or skipped under
 * `onSkip: 'release'`) waits again. Jobs are visited dependencies first, so one pass settles
 * every chain.
 */
function settleDependents(ctx: PlanContext, records: PlanRecord[]): void {
  for (const id of dependenciesFirst(ctx)) {
    const job = ctx.jobs[id]!;
    if (job.status === 'waiting') {
      const dead = job.dependsOn.find((dep) => blocks(ctx, ctx.jobs[dep]!));
      if (dead === undefined) continue;
      job.status = 'blocked';
      job.blockedBy = ctx.jobs[dead]!.status === 'blocked' ? ctx.jobs[dead]!.blockedBy : dead;
      records.push({ type: 'job-blocked', jobId: id, by: job.blockedBy ?? dead });
    } else if (
      job.status === 'blocked' &&
      !job.dependsOn.some((dep) => blocks(ctx, ctx.jobs[dep]!))
    ) {
      job.status = 'waiting';
      job.blockedBy = undefined;
      records.push({ type: 'job-unblocked', jobId: id });
    }
  }
}

/** Job ids with every job after its dependencies (Kahn's algorithm; the graph has no cycle). */
function dependenciesFirst(ctx: PlanContext): string[] {
  const left = new Map(ctx.order.map((id) => [id, ctx.jobs[id]!.dependsOn.length]));
  const result = ctx.order.filter((id) => left.get(id) === 0);
  for (let i = 0; i < result.length; i++) {
    for (const dependent of ctx.jobs[result[i]!]!.dependents) {
      const count = left.get(dependent)! - 1;
      left.set(dependent, count);
      if (count === 0) result.push(dependent);
    }
  }
  return result;
}

/**
 * Counters, queues and slots follow from the jobs' statuses. A waiting job whose dependencies
 * are all done is queued (its `job-queued` record may not have reached the journal).
 */
function rebuildDerived(ctx: PlanContext, records: PlanRecord[]): void {
  // What the stopped run had decided is carried out at the resumed plan's first launch (a state
  // written by an earlier version holds no commit numbers).
  ctx.toLaunchCommit = ctx.toLaunch.map(() => 0);
  ctx.toStartCommit = ctx.toStart.map(() => 0);
  ctx.toIntegrateCommit = 0;
  ctx.settled = 0;
  ctx.live = 0;
  ctx.ready = [];
  ctx.awaiting = [];
  // Every retrying job gets its actor again below and counts down what is left of its delay.
  ctx.dueJobs = [];
  // Ranked again from the plan (jobs added while it ran included): a snapshot may predate ranks.
  rankJobs(ctx.order, ctx.jobs);
  for (const id of ctx.order) {
    const job = ctx.jobs[id]!;
    job.slot = null;
    job.waitingOn = job.dependsOn.filter((dep) => {
      const status = ctx.jobs[dep]!.status;
      return status !== 'succeeded' && !(status === 'skipped' && ctx.onSkip === 'release');
    }).length;
    if (TERMINAL_STATUSES.has(job.status)) ctx.settled++;
    if (job.status === 'waiting' && job.waitingOn === 0) {
      job.status = 'queued';
      records.push({ type: 'job-queued', jobId: id });
    }
    if (job.status === 'queued') pushReady(ctx.ready, job.pathPriority, job.index);
    if (job.status === 'awaitingIntegration') pushReady(ctx.awaiting, -(job.rank ?? 0), job.index);
    if (job.status === 'retrying' || job.status === 'running') {
      job.slot = `slot-${ctx.slotCount++}`;
      ctx.live++;
      ctx.toLaunch.push(id);
      ctx.toLaunchCommit.push(0);
    }
  }
  ctx.dirty = true;
}
