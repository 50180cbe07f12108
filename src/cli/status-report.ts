import { holdingCheckpoint } from '../../machines/plan/checkpoint.js';
import type { JobRecord, JobStatus, PlanContext } from '../../machines/plan/context.js';
import type { Checkpoint } from '../../machines/plan/records.js';
import { JournalFold } from '../persistence/journal-fold.js';
import type { StoredPlan } from '../persistence/store.js';
import { notePlacement, type Placement } from '../shared/placement.js';

/** Above this many jobs, `status` prints a summary: counts, checkpoint, failures; no job table. */
export const STATUS_LIST_LIMIT = 50;
/** Failed jobs a summary lists before "… N more failed". */
const SUMMARY_FAILURES = 20;

/** What `status` prints: a report for people (by default) or the plan's state as JSON. */
export interface StatusOptions {
  /** List every job, however large the plan. */
  jobs?: boolean;
  json?: boolean;
  /** The command that goes on with a stopped plan, named in the report. */
  resumeCommand?: string;
}

/**
 * What `status` prints about a stored plan: the plan's status and the checkpoint it holds at
 * (with the job, failure kind and message), how many jobs are in each status, and each job with
 * its attempt and, for a failed one, why it failed. A plan of more than `STATUS_LIST_LIMIT` jobs
 * gets a summary instead of the job table: its failed jobs (20, then "… N more failed") and how
 * to see every job (`--jobs`, `--json`).
 */
export function describeStatus(stored: StoredPlan, options: StatusOptions = {}): string {
  if (options.json) return `${JSON.stringify(statusJson(stored))}\n`;
  const resumeCommand = options.resumeCommand ?? 'plan-orchestrator resume <dir>';
  const fold = JournalFold.of(stored);
  const { context, finished, seq } = fold.state;
  const lines = [
    `Plan "${context.planId}": ${planStatusLine(context, finished, stored, resumeCommand)}`,
  ];
  lines.push(`Records: ${seq}`);
  lines.push(`Jobs: ${context.order.length} (${countsOf(context)})`);
  const jobs = context.order.map((id) => context.jobs[id]!);
  const placements = placementsOf(stored);
  const jobLine = (job: JobRecord) => jobLineOf(job, placements.get(job.id));
  if (options.jobs || jobs.length <= STATUS_LIST_LIMIT) {
    for (const job of jobs) lines.push(jobLine(job));
  } else {
    const failed = jobs.filter((job) => job.status === 'failed');
    if (failed.length > 0) lines.push(`Failed: ${failed.length}`);
    for (const job of failed.slice(0, SUMMARY_FAILURES)) lines.push(jobLine(job));
    if (failed.length > SUMMARY_FAILURES) {
      lines.push(`  … ${failed.length - SUMMARY_FAILURES} more failed`);
    }
    lines.push(`Every job: add --jobs (a table) or --json`);
  }
  return `${lines.join('\n')}\n`;
}

/** The plan's state as `status --json` prints it, for programs. */
export function statusJson(stored: StoredPlan) {
  const { context, finished, seq } = JournalFold.of(stored).state;
  const placements = placementsOf(stored);
  const checkpoint = finished ? null : (holdingCheckpoint(context) ?? lastPauseStanding(stored));
  const counts: Partial<Record<JobStatus, number>> = {};
  for (const id of context.order) {
    const status = context.jobs[id]!.status;
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return {
    planId: context.planId,
    status: planState(context, finished, checkpoint, stored),
    checkpoint,
    records: seq,
    counts,
    jobs: context.order.map((id) => {
      const job = context.jobs[id]!;
      const { worker, waiting } = placementOf(job, placements.get(id));
      return {
        id,
        status: job.status,
        attempt: job.attempt,
        ...(worker !== undefined ? { worker } : {}),
        ...(waiting !== undefined ? { waiting } : {}),
        ...(job.failure ? { failure: job.failure } : {}),
        ...(job.blockedBy ? { blockedBy: job.blockedBy } : {}),
      };
    }),
  };
}

/** One word for where the plan stands. */
function planState(
  ctx: PlanContext,
  finished: 'completed' | 'failed' | 'canceled' | null,
  checkpoint: Checkpoint | null,
  stored: StoredPlan,
): string {
  if (finished) return finished;
  if (!ctx.startApproved) return 'awaitingApproval';
  if (checkpoint) return 'paused';
  if (ctx.cancel) return 'canceling';
  if (stored.records.some((r) => r.type === 'finalize-started') && !ctx.finalize.done) {
    return 'finalizing';
  }
  return 'running';
}

function planStatusLine(
  ctx: PlanContext,
  finished: 'completed' | 'failed' | 'canceled' | null,
  stored: StoredPlan,
  resumeCommand: string,
): string {
  const checkpoint = finished ? null : (holdingCheckpoint(ctx) ?? lastPauseStanding(stored));
  const state = planState(ctx, finished, checkpoint, stored);
  if (state === 'awaitingApproval') return 'awaiting approval at start';
  if (state === 'paused') return `paused at ${describeCheckpoint(checkpoint!)}`;
  if (state === 'running') return `running (or stopped: \`${resumeCommand}\` goes on)`;
  return state;
}

/** A pause the journal states and no later record ended (such as a failed write). */
function lastPauseStanding(stored: StoredPlan): Checkpoint | null {
  for (let i = stored.records.length - 1; i >= 0; i--) {
    const record = stored.records[i]!;
    // An approval ends the pause it answered (the start of a copilot plan records no resume).
    if (record.type === 'plan-resumed' || record.type === 'approved') return null;
    if (record.type === 'plan-paused') return record.checkpoint;
    if (record.type === 'persistence-failed') return { name: 'persistence', error: record.error };
  }
  return null;
}

function describeCheckpoint(checkpoint: Checkpoint): string {
  switch (checkpoint.name) {
    case 'on_error':
      return 'jobId' in checkpoint
        ? `on_error: job "${checkpoint.jobId}" failed (${checkpoint.kind}: ${checkpoint.error.message})`
        : `on_error: finalize failed (${checkpoint.error.message})`;
    case 'persistence':
      return `persistence: the state could not be written (${checkpoint.error.message})`;
    case 'pre_run':
      return `pre_run: job "${checkpoint.jobId}" waits for approval to start`;
    case 'pre_integrate':
      return `pre_integrate for job "${checkpoint.jobId}"`;
    case 'pre_change':
      return `pre_change for ${checkpoint.jobIds.map((id) => `"${id}"`).join(', ')}`;
    default:
      return checkpoint.name;
  }
}

function countsOf(ctx: PlanContext): string {
  const counts = new Map<JobStatus, number>();
  for (const id of ctx.order) {
    const status = ctx.jobs[id]!.status;
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
}

/** Where each job's latest attempt stood on its queue, for jobs whose attempts ran on one. */
function placementsOf(stored: StoredPlan): Map<string, Placement> {
  const placements = new Map<string, Placement>();
  for (const record of stored.records) {
    if (record.type === 'attempt-started') placements.set(record.jobId, {});
    if (record.type === 'job-progress') {
      const placement = placements.get(record.jobId);
      if (placement) notePlacement(placement, record.progress);
    }
  }
  return placements;
}

/** A job waits on its queue only while its attempt runs (and no worker took it). */
function placementOf(job: JobRecord, placement: Placement = {}): Placement {
  return job.status === 'running' ? placement : { ...placement, waiting: undefined };
}

function jobLineOf(job: JobRecord, stood: Placement | undefined): string {
  const { worker, waiting } = placementOf(job, stood);
  const attempt = job.attempt > 0 ? `attempt ${job.attempt}` : '';
  let why = '';
  if (job.status === 'failed' && job.failure) {
    why = `${job.failure.kind}: ${job.failure.error.message}`;
  } else if (job.status === 'blocked' && job.blockedBy) {
    why = `by "${job.blockedBy}"`;
  } else {
    why = outputsLine(job.output);
  }
  if (worker !== undefined) why = `on ${worker}${why ? `; ${why}` : ''}`;
  if (waiting !== undefined) why = waiting;
  const status = waiting !== undefined ? 'queued' : job.status;
  return `  ${job.id.padEnd(24)} ${status.padEnd(20)} ${attempt.padEnd(12)} ${why}`.trimEnd();
}

/** Longest rendering of one output value in the job table. */
const OUTPUT_PREVIEW = 60;

/** The outputs a shell job wrote (`$PLAN_OUTPUT`), as `key=value`, each value shortened. */
function outputsLine(output: unknown): string {
  const outputs = (output as { outputs?: Record<string, unknown> } | undefined)?.outputs;
  if (!outputs || typeof outputs !== 'object') return '';
  const shown = Object.entries(outputs).map(([key, value]) => {
    const text = JSON.stringify(value) ?? '';
    return `${key}=${text.length > OUTPUT_PREVIEW ? `${text.slice(0, OUTPUT_PREVIEW - 1)}…` : text}`;
  });
  return shown.length > 0 ? `outputs: ${shown.join(' ')}` : '';
}
