import { reorder } from '../../machines/plan/changes.js';
import {
  createPlanContext,
  newJobRecord,
  type PlanContext,
  type PlanJobInput,
  TERMINAL_STATUSES,
} from '../../machines/plan/context.js';
import type { Checkpoint, PlanCommandRecord, PlanRecord } from '../../machines/plan/records.js';
import { releaseRunGate, removeUnresolved } from '../../machines/plan/scheduling.js';
import type { StampedRecord } from '../shared/records.js';
import type { FoldState, PlanSnapshot } from './snapshot.js';
import type { JournalHeader, StoredPlan } from './store.js';

/**
 * Folds records into plan state, one at a time. A restore folds the journal (after a snapshot);
 * a running plan with a store keeps a fold up to date to write snapshots from. Only what records
 * say is set here; counters and queues are derived from it when the plan resumes.
 *
 * The records of one step are written together, and a crash may keep only the first few of
 * them. So each record carries its whole effect on the job it names: an accepted command sets
 * what its own follow-up records would set (`RETRY_JOB` queues the job, `SKIP_JOB` skips it,
 * `APPROVE` applies the approval at the checkpoint the plan held at), and those follow-up records
 * only repeat it. What a fact means for other jobs (blocked or released dependents) is derived
 * again on restore (see restore.ts).
 */
export class JournalFold {
  /**
   * Follow-up records of an accepted command not (yet) folded in, by type and job: what a restore
   * records for them when the crash lost them, so the journal states every fact it acted on.
   */
  private readonly owed = new Map<string, PlanRecord>();
  private readonly owe: Owe = (follow) => this.owed.set(owedKey(follow), follow);

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
    if (this.owed.size > 0) this.owed.delete(owedKey(record));
    this.state.finished =
      apply(this.state.context, record, this.state.retryAt, this.owe) ?? this.state.finished;
  }

  /** The follow-up records of accepted commands that the journal lacks (see `owed`). */
  owedRecords(): PlanRecord[] {
    return [...this.owed.values()];
  }
}

type Owe = (follow: PlanRecord) => void;

function owedKey(record: PlanRecord): string {
  return `${record.type}:${'jobId' in record ? record.jobId : ''}`;
}

/** One record's effect on the state; returns how the plan ended when the record says so. */
function apply(
  ctx: PlanContext,
  record: StampedRecord,
  retryAt: Record<string, number>,
  owe: Owe,
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
      // An attempt held as interrupted waits for a person whatever the failure policy says.
      if (ctx.onJobFailure === 'pause' || record.kind === 'interrupted') {
        if (!ctx.unresolved.includes(job!.id)) ctx.unresolved.push(job!.id);
      } else if (ctx.onJobFailure === 'fail') ctx.failedBy ??= job!.id;
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
      releaseRunGate(ctx, job!.id);
      break;
    case 'job-canceled':
      job!.status = 'canceled';
      break;
    case 'job-added':
      addJob(ctx, record.job);
      break;
    case 'change-proposed':
      propose(ctx, record.job);
      break;
    case 'plan-paused':
      // A supervisor's gate: an `APPROVE` accepted next approves it.
      if (
        record.checkpoint.name === 'pre_run' ||
        record.checkpoint.name === 'pre_integrate' ||
        record.checkpoint.name === 'pre_finalize'
      ) {
        ctx.gate = gateOf(record.checkpoint);
      }
      break;
    case 'approved':
      approve(ctx, record.checkpoint, record.jobId, owe);
      break;
    case 'command-accepted':
      command(ctx, record.command, owe);
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

function gateOf(checkpoint: Checkpoint): PlanContext['gate'] {
  if (checkpoint.name === 'pre_run' || checkpoint.name === 'pre_integrate') {
    return { name: checkpoint.name, jobId: checkpoint.jobId };
  }
  return { name: 'pre_finalize' };
}

/** Adds a job as `addJob` does (its status follows from its dependencies on restore); once. */
function addJob(ctx: PlanContext, input: PlanJobInput, owe?: Owe): void {
  ctx.proposed = ctx.proposed.filter((proposal) => proposal.id !== input.id);
  if (ctx.jobs[input.id]) return;
  owe?.({ type: 'job-added', jobId: input.id, job: input });
  const added = newJobRecord(input, ctx.order.length);
  ctx.jobs[added.id] = added;
  ctx.order.push(added.id);
  for (const dep of added.dependsOn) ctx.jobs[dep]!.dependents.push(added.id);
  if (ctx.integration?.order === 'strict') ctx.strictOrder.push(added.id);
}

function propose(ctx: PlanContext, input: PlanJobInput): void {
  if (!ctx.proposed.some((proposal) => proposal.id === input.id)) ctx.proposed.push(input);
}

/** The checkpoint an accepted `APPROVE` met, by the plan machine's order of precedence. */
function approvedCheckpoint(ctx: PlanContext): string | null {
  if (!ctx.startApproved) return 'start';
  if (ctx.unresolved.length > 0) return 'on_error';
  if (ctx.proposed.length > 0) return 'pre_change';
  return ctx.gate?.name ?? null;
}

/** An approval and everything it decides for the job it names (see `approve` in the machine). */
function approve(ctx: PlanContext, checkpoint: string, jobId: string | undefined, owe: Owe): void {
  switch (checkpoint) {
    case 'start':
      ctx.startApproved = true;
      return;
    case 'on_error': {
      if (jobId === undefined) return;
      removeUnresolved(ctx, jobId);
      const job = ctx.jobs[jobId]!;
      const kind = job.status === 'failed' ? job.failure?.kind : undefined;
      if (kind === 'verification' || kind === 'interrupted') {
        // The rejected result is accepted as it is; an interrupted attempt as done, with no output.
        job.failure = undefined;
        if (kind === 'interrupted') job.output = undefined;
        const accepted = {
          jobId: job.id,
          attemptId: job.attemptId ?? '',
          output: job.output,
          approved: true as const,
        };
        if (ctx.integration) {
          job.status = 'awaitingIntegration';
          job.rank ??= ctx.completions++;
          owe({ type: 'job-ran', ...accepted });
        } else {
          job.status = 'succeeded';
          owe({ type: 'job-succeeded', ...accepted });
        }
      }
      return;
    }
    case 'pre_change':
      for (const proposal of [...ctx.proposed]) addJob(ctx, proposal, owe);
      return;
    case 'pre_run':
      if (jobId !== undefined) ctx.jobs[jobId]!.runApproved = true;
      ctx.gate = null;
      return;
    case 'pre_integrate':
      if (jobId !== undefined) ctx.jobs[jobId]!.integrateApproved = true;
      ctx.gate = null;
      return;
    case 'pre_finalize':
      ctx.finalize.approved = true;
      ctx.gate = null;
      return;
  }
}

function command(ctx: PlanContext, accepted: PlanCommandRecord, owe: Owe): void {
  const jobId = typeof accepted.jobId === 'string' ? accepted.jobId : undefined;
  const job = jobId === undefined ? undefined : ctx.jobs[jobId];
  switch (accepted.type) {
    case 'PAUSE':
      ctx.userPaused = true;
      return;
    case 'RESUME':
      ctx.userPaused = false;
      return;
    case 'APPROVE': {
      const checkpoint = approvedCheckpoint(ctx);
      if (checkpoint === null) return;
      const about =
        jobId ??
        (checkpoint === 'on_error'
          ? ctx.unresolved[0]
          : ctx.gate?.name === 'pre_integrate' || ctx.gate?.name === 'pre_run'
            ? ctx.gate.jobId
            : undefined);
      approve(ctx, checkpoint, about, owe);
      return;
    }
    case 'RETRY_JOB':
      removeUnresolved(ctx, jobId!);
      if (job!.status !== 'failed') return;
      job!.failure = undefined;
      if (accepted.from === 'integrate') {
        job!.status = 'awaitingIntegration';
        owe({ type: 'integration-requeued', jobId: jobId! });
      } else {
        job!.status = 'queued';
        job!.reverify = accepted.from === 'verify';
        if (accepted.from !== 'verify') job!.output = undefined;
        owe({ type: 'job-queued', jobId: jobId! });
      }
      return;
    case 'SKIP_JOB': {
      removeUnresolved(ctx, jobId!);
      job!.status = 'skipped';
      const reason = typeof accepted.reason === 'string' ? accepted.reason : undefined;
      owe({ type: 'job-skipped', jobId: jobId!, ...(reason ? { reason } : {}) });
      return;
    }
    case 'ADD_JOB': {
      const added = accepted.job as PlanJobInput;
      if (ctx.mode === 'supervisor') propose(ctx, added);
      else addJob(ctx, added, owe);
      return;
    }
    case 'RETRY_FINALIZE':
      ctx.finalize.failure = null;
      return;
    case 'CANCEL':
      ctx.cancel = typeof accepted.reason === 'string' ? { reason: accepted.reason } : {};
      // Every job that had not ended is canceled with the plan.
      for (const id of ctx.order) {
        const each = ctx.jobs[id]!;
        if (TERMINAL_STATUSES.has(each.status)) continue;
        each.status = 'canceled';
        owe({ type: 'job-canceled', jobId: id });
      }
      return;
    case 'REORDER':
      reorder(ctx, accepted.jobIds as string[]);
      return;
  }
}
