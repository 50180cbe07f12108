import { type PlanContext, TERMINAL_STATUSES } from '../../machines/plan/context.js';
import { pushReady } from '../../machines/plan/ready-queue.js';
import type { PlanRecord } from '../../machines/plan/records.js';
import { JournalFold } from './journal-fold.js';
import type { StoredPlan } from './store.js';

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
 * Rebuilds a plan's state from its snapshot and journal: the records say what happened to every job, and the
 * derived parts (dependency counters, queues, slots) are computed again from that. Work that was
 * under way when the process stopped is started again: a running attempt counts as
 * `interrupted` and the job runs again as the next attempt; an integration is rolled back first
 * and integrated again; the rest of a retry delay is waited out from `now`.
 */
export function restorePlan(stored: StoredPlan, now: number): RestoredPlan {
  const fold = JournalFold.of(stored);
  const kept = fold.copy(); // the fold's own state becomes the plan's live state below
  const { context, retryAt, finished, seq } = fold.state;
  const records = resumeInFlight(context, retryAt, now);
  rebuildDerived(context, records);
  return { context, fold: kept, records, finished, lastSeq: seq };
}

/** Work under way when the process stopped starts again. */
function resumeInFlight(
  ctx: PlanContext,
  retryAt: Readonly<Record<string, number>>,
  now: number,
): PlanRecord[] {
  const records: PlanRecord[] = [];
  for (const id of ctx.order) {
    const job = ctx.jobs[id]!;
    if (job.status === 'running' || job.status === 'verifying') {
      records.push({ type: 'attempt-interrupted', jobId: id, attemptId: job.attemptId! });
      job.status = 'queued';
      records.push({ type: 'job-queued', jobId: id });
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

function lowestRank(ctx: PlanContext): number {
  let lowest = 0;
  for (const id of ctx.order) lowest = Math.min(lowest, ctx.jobs[id]!.rank ?? 0);
  return lowest;
}

/**
 * Counters, queues and slots follow from the jobs' statuses. A waiting job whose dependencies
 * are all done is queued (its `job-queued` record may not have reached the journal).
 */
function rebuildDerived(ctx: PlanContext, records: PlanRecord[]): void {
  ctx.settled = 0;
  ctx.live = 0;
  ctx.ready = [];
  ctx.awaiting = [];
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
    if (job.status === 'queued') pushReady(ctx.ready, job.priority, job.index);
    if (job.status === 'awaitingIntegration') pushReady(ctx.awaiting, -(job.rank ?? 0), job.index);
    if (job.status === 'retrying') {
      job.slot = `slot-${ctx.slotCount++}`;
      ctx.live++;
      ctx.toLaunch.push(id);
    }
  }
  ctx.dirty = true;
}
