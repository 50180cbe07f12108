import { holdingCheckpoint } from '../../machines/plan/checkpoint.js';
import type { JobRecord, JobStatus, PlanContext } from '../../machines/plan/context.js';
import type { Checkpoint } from '../../machines/plan/records.js';
import { JournalFold } from '../persistence/journal-fold.js';
import type { StoredPlan } from '../persistence/store.js';

/** Above this many jobs, `status` lists the jobs that need attention first and counts the rest. */
export const STATUS_LIST_LIMIT = 50;
/** Lines of jobs a summary shows. */
const SUMMARY_LINES = 20;

/**
 * What `status` prints about a plan's state folder: the plan's status and the checkpoint it holds
 * at (with the job, failure kind and message), how many jobs are in each status, and each job
 * with its attempt and, for a failed one, why it failed. A plan of more than
 * `STATUS_LIST_LIMIT` jobs gets a summary: jobs that did not succeed first, then "… N more".
 */
export function describeStatus(
  stored: StoredPlan,
  resumeCommand = 'plan-orchestrator resume <dir>',
): string {
  const fold = JournalFold.of(stored);
  const { context, finished, seq } = fold.state;
  const lines = [
    `Plan "${context.planId}": ${planStatusLine(context, finished, stored, resumeCommand)}`,
  ];
  lines.push(`Records: ${seq}`);
  lines.push(`Jobs: ${context.order.length} (${countsOf(context)})`);
  const jobs = context.order.map((id) => context.jobs[id]!);
  if (jobs.length <= STATUS_LIST_LIMIT) {
    for (const job of jobs) lines.push(jobLine(job));
  } else {
    const attention = jobs.filter((job) => job.status !== 'succeeded');
    const ordered = [...attention, ...jobs.filter((job) => job.status === 'succeeded')];
    for (const job of ordered.slice(0, SUMMARY_LINES)) lines.push(jobLine(job));
    lines.push(`  … ${ordered.length - SUMMARY_LINES} more`);
  }
  return `${lines.join('\n')}\n`;
}

function planStatusLine(
  ctx: PlanContext,
  finished: 'completed' | 'failed' | 'canceled' | null,
  stored: StoredPlan,
  resumeCommand: string,
): string {
  if (finished) return finished;
  if (!ctx.startApproved) return 'awaiting approval at start';
  const checkpoint = holdingCheckpoint(ctx) ?? lastPauseStanding(stored);
  if (checkpoint) return `paused at ${describeCheckpoint(checkpoint)}`;
  if (ctx.cancel) return 'canceling';
  const finalizing = stored.records.some((r) => r.type === 'finalize-started');
  if (finalizing && !ctx.finalize.done) return 'finalizing';
  return `running (or stopped: \`${resumeCommand}\` goes on)`;
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

function jobLine(job: JobRecord): string {
  const attempt = job.attempt > 0 ? `attempt ${job.attempt}` : '';
  let why = '';
  if (job.status === 'failed' && job.failure) {
    why = `${job.failure.kind}: ${job.failure.error.message}`;
  } else if (job.status === 'blocked' && job.blockedBy) {
    why = `by "${job.blockedBy}"`;
  } else {
    why = outputsLine(job.output);
  }
  return `  ${job.id.padEnd(24)} ${job.status.padEnd(20)} ${attempt.padEnd(12)} ${why}`.trimEnd();
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
