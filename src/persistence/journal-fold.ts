import { reorder } from '../../machines/plan/changes.js';
import { createPlanContext, newJobRecord, type PlanContext } from '../../machines/plan/context.js';
import type { PlanCommandRecord } from '../../machines/plan/records.js';
import { removeUnresolved } from '../../machines/plan/scheduling.js';
import { RestoreError } from '../runtime/errors.js';
import type { StampedRecord } from '../runtime/records.js';
import type { JournalHeader, StoredPlan } from './store.js';

/** What a plan's records add up to: the state a snapshot holds. */
export interface FoldState {
  /** The last record folded in. */
  seq: number;
  context: PlanContext;
  /** Absolute clock time each retrying job's next attempt is due. */
  retryAt: Record<string, number>;
  finished: 'completed' | 'failed' | 'canceled' | null;
}

/** A snapshot as stored: the fold state at `seq`, so that a restore reads only the tail after it. */
export interface PlanSnapshot {
  format: 1;
  seq: number;
  state: FoldState;
}

/**
 * Folds records into plan state, one at a time. A restore folds the journal (after a snapshot);
 * a running plan with a store keeps a fold up to date to write snapshots from. Only what records
 * say is set here; counters and queues are derived from it when the plan resumes.
 */
export class JournalFold {
  private constructor(readonly state: FoldState) {}

  static start(header: JournalHeader): JournalFold {
    const context = createPlanContext({ ...header.input, writeAhead: true });
    return new JournalFold({ seq: 0, context, retryAt: Object.create(null), finished: null });
  }

  /** Takes the snapshot's state as its own: the caller must not use it afterwards. */
  private static adopting(snapshot: PlanSnapshot): JournalFold {
    const state = snapshot.state;
    // JSON gives plain objects; job ids must never meet Object.prototype.
    state.context.jobs = Object.assign(Object.create(null), state.context.jobs);
    state.retryAt = Object.assign(Object.create(null), state.retryAt);
    return new JournalFold(state);
  }

  /**
   * The state a store holds: its snapshot, if any, with the records after it folded in. A loaded
   * plan is the caller's own (stores parse it afresh), so its snapshot is folded into in place.
   */
  static of(stored: StoredPlan): JournalFold {
    const fold = stored.snapshot
      ? JournalFold.adopting(stored.snapshot)
      : JournalFold.start(stored.header);
    for (const record of stored.records) fold.apply(record);
    return fold;
  }

  /** An independent copy, to go on folding while the original is used otherwise. */
  copy(): JournalFold {
    return JournalFold.adopting(structuredClone(this.snapshot()));
  }

  snapshot(): PlanSnapshot {
    return { format: 1, seq: this.state.seq, state: this.state };
  }

  apply(record: StampedRecord): void {
    this.state.seq = record.seq;
    this.state.finished =
      apply(this.state.context, record, this.state.retryAt) ?? this.state.finished;
  }
}

/** Checks a snapshot read back from storage before it is trusted. */
export function checkSnapshot(value: unknown, file: string): PlanSnapshot {
  const snapshot = value as Partial<PlanSnapshot> | null;
  if (!snapshot || typeof snapshot !== 'object' || snapshot.format !== 1) {
    throw new RestoreError(
      file,
      null,
      `unknown snapshot format ${JSON.stringify(snapshot?.format)} (this version reads 1)`,
    );
  }
  if (typeof snapshot.seq !== 'number' || !snapshot.state?.context?.jobs) {
    throw new RestoreError(file, null, 'the snapshot has no plan state');
  }
  return snapshot as PlanSnapshot;
}

/** One record's effect on the state; returns how the plan ended when the record says so. */
function apply(
  ctx: PlanContext,
  record: StampedRecord,
  retryAt: Record<string, number>,
): FoldState['finished'] {
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
      retryAt[job!.id] = record.at + record.retryInMs;
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

function approve(ctx: PlanContext, checkpoint: string, jobId: string | undefined): void {
  switch (checkpoint) {
    case 'start':
      ctx.startApproved = true;
      return;
    case 'on_error':
      if (jobId !== undefined) removeUnresolved(ctx, jobId);
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
      if (jobId !== undefined) removeUnresolved(ctx, jobId);
      ctx.jobs[jobId!]!.reverify = accepted.from === 'verify';
      return;
    case 'SKIP_JOB':
      if (jobId !== undefined) removeUnresolved(ctx, jobId);
      return;
    case 'RETRY_FINALIZE':
      ctx.finalize.failure = null;
      return;
    case 'CANCEL':
      ctx.cancel = typeof accepted.reason === 'string' ? { reason: accepted.reason } : {};
      return;
    case 'REORDER':
      reorder(ctx, accepted.jobIds as string[]);
      return;
  }
}
