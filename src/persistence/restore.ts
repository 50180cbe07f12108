import { reorder } from '../../machines/plan/changes.js';
import {
  createPlanContext,
  newJobRecord,
  type PlanContext,
  TERMINAL_STATUSES,
} from '../../machines/plan/context.js';
import { pushReady } from '../../machines/plan/ready-queue.js';
import type { PlanCommandRecord, PlanRecord } from '../../machines/plan/records.js';
import type { StampedRecord } from '../runtime/records.js';
import type { JournalHeader } from './store.js';

export interface RestoredPlan {
  context: PlanContext;
  /** What the resumed plan records first: interrupted attempts and integrations, re-queued jobs. */
  records: PlanRecord[];
  /** How the plan ended, when its journal says it did. */
  finished: 'completed' | 'failed' | 'canceled' | null;
  lastSeq: number;
}

/**
 * Rebuilds a plan's state from its journal: the records say what happened to every job, and the
 * derived parts (dependency counters, queues, slots) are computed again from that. Work that was
 * under way when the process stopped is started again: a running attempt counts as
 * `interrupted` and the job runs again as the next attempt; an integration is rolled back first
 * and integrated again; the rest of a retry delay is waited out from `now`.
 */
export function restorePlan(
  header: JournalHeader,
  journal: readonly StampedRecord[],
  now: number,
): RestoredPlan {
  const ctx = createPlanContext({ ...header.input, writeAhead: true });
  const retryAt = new Map<string, number>();
  let finished: RestoredPlan['finished'] = null;
  for (const record of journal) {
    finished = apply(ctx, record, retryAt) ?? finished;
  }
  const records = resumeInFlight(ctx, retryAt, now);
  rebuildDerived(ctx, records);
  return { context: ctx, records, finished, lastSeq: journal.at(-1)?.seq ?? 0 };
}

/** One record's effect on the state; returns how the plan ended when the record says so. */
function apply(
  ctx: PlanContext,
  record: StampedRecord,
  retryAt: Map<string, number>,
): RestoredPlan['finished'] {
  const job = 'jobId' in record && record.jobId !== undefined ? ctx.jobs[record.jobId] : undefined;
  switch (record.type) {
    case 'job-queued':
      job!.status = 'queued';
      break;
    case 'attempt-started':
      job!.status = 'running';
      job!.attempt = record.attempt;
      job!.attemptId = record.attemptId;
      job!.due = false;
      break;
    case 'job-verifying':
    case 'verify-started':
      job!.status = 'verifying';
      break;
    case 'attempt-failed':
      job!.status = 'retrying';
      job!.failure = { kind: record.kind, error: record.error };
      retryAt.set(job!.id, record.at + record.retryInMs);
      break;
    case 'attempt-due':
      job!.due = true;
      break;
    case 'job-ran':
      job!.status = 'awaitingIntegration';
      job!.output = record.output;
      job!.failure = undefined;
      job!.rank ??= ctx.completions++;
      break;
    case 'job-succeeded':
      job!.status = 'succeeded';
      job!.output = record.output;
      job!.failure = undefined;
      break;
    case 'integration-started':
      job!.status = 'integrating';
      job!.integrations++;
      break;
    case 'job-integrated':
      job!.status = 'succeeded';
      break;
    case 'integration-requeued':
      job!.status = 'awaitingIntegration';
      break;
    case 'job-failed':
      job!.status = 'failed';
      job!.failure = {
        kind: record.kind,
        error: record.error,
        ...(record.violations ? { violations: record.violations } : {}),
      };
      if ('output' in record) job!.output = record.output;
      if (ctx.onJobFailure === 'pause') ctx.unresolved.push(job!.id);
      else if (ctx.onJobFailure === 'fail') ctx.failedBy ??= job!.id;
      break;
    case 'job-blocked':
      job!.status = 'blocked';
      job!.blockedBy = record.by;
      break;
    case 'job-unblocked':
      job!.status = 'waiting';
      job!.blockedBy = undefined;
      break;
    case 'job-skipped':
      job!.status = 'skipped';
      break;
    case 'job-canceled':
      job!.status = 'canceled';
      break;
    case 'job-added': {
      const added = newJobRecord(record.job, ctx.order.length);
      ctx.jobs[added.id] = added;
      ctx.order.push(added.id);
      for (const dep of added.dependsOn) ctx.jobs[dep]!.dependents.push(added.id);
      if (ctx.integration?.order === 'strict') ctx.strictOrder.push(added.id);
      ctx.proposed = ctx.proposed.filter((proposal) => proposal.id !== added.id);
      break;
    }
    case 'change-proposed':
      ctx.proposed.push(record.job);
      break;
    case 'approved':
      approve(ctx, record.checkpoint, record.jobId);
      break;
    case 'command-accepted':
      command(ctx, record.command);
      break;
    case 'finalize-failed':
      if (ctx.onJobFailure === 'pause') ctx.finalize.failure = record.error;
      break;
    case 'finalize-succeeded':
      ctx.finalize.done = true;
      break;
    case 'plan-completed':
      return 'completed';
    case 'plan-failed':
      return 'failed';
    case 'plan-canceled':
      return 'canceled';
  }
  return null;
}

function removeUnresolved(ctx: PlanContext, jobId: string | undefined): void {
  ctx.unresolved = ctx.unresolved.filter((id) => id !== jobId);
}

function approve(ctx: PlanContext, checkpoint: string, jobId: string | undefined): void {
  switch (checkpoint) {
    case 'start':
      ctx.startApproved = true;
      return;
    case 'on_error':
      removeUnresolved(ctx, jobId);
      return;
    case 'pre_integrate':
      ctx.jobs[jobId!]!.integrateApproved = true;
      return;
    case 'pre_finalize':
      ctx.finalize.approved = true;
      return;
  }
}

function command(ctx: PlanContext, accepted: PlanCommandRecord): void {
  const jobId = typeof accepted.jobId === 'string' ? accepted.jobId : undefined;
  switch (accepted.type) {
    case 'PAUSE':
      ctx.userPaused = true;
      return;
    case 'RESUME':
      ctx.userPaused = false;
      return;
    case 'RETRY_JOB':
      removeUnresolved(ctx, jobId);
      ctx.jobs[jobId!]!.reverify = accepted.from === 'verify';
      return;
    case 'SKIP_JOB':
      removeUnresolved(ctx, jobId);
      return;
    case 'RETRY_FINALIZE':
      ctx.finalize.failure = null;
      return;
    case 'REORDER':
      reorder(ctx, accepted.jobIds as string[]);
      return;
  }
}

/** Work under way when the process stopped starts again. */
function resumeInFlight(
  ctx: PlanContext,
  retryAt: ReadonlyMap<string, number>,
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
      job.waitMs = job.due ? 0 : Math.max(0, (retryAt.get(id) ?? now) - now);
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
