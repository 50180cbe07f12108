import { checkpointOf } from './checkpoint.js';
import type { PlanContext, PlanJobInput } from './context.js';
import { type CheckpointName, FINISHED_STATUSES, type PlanStatus } from './status.js';

/**
 * Where `RETRY_JOB` starts a job again: `run` (a new attempt), `verify` (check the kept result
 * again) or `integrate` (integrate the kept result again).
 */
export type RetryFrom = 'run' | 'verify' | 'integrate';

/** Commands as the plan machine receives them. */
export type PlanCommand =
  | { type: 'APPROVE'; checkpoint?: CheckpointName; jobId?: string }
  | { type: 'RETRY_JOB'; jobId: string; from?: RetryFrom }
  | { type: 'RETRY_FINALIZE' }
  | { type: 'SKIP_JOB'; jobId: string; reason?: string }
  | { type: 'ADD_JOB'; job: PlanJobInput }
  | { type: 'REORDER'; jobIds: readonly string[] }
  | { type: 'PAUSE' }
  /** `reason` says why, when the plan resumed by itself (its store was writable again). */
  | { type: 'RESUME'; reason?: string }
  | { type: 'CANCEL'; reason?: string };

export const COMMAND_TYPES: ReadonlySet<string> = new Set([
  'APPROVE',
  'RETRY_JOB',
  'RETRY_FINALIZE',
  'SKIP_JOB',
  'ADD_JOB',
  'REORDER',
  'PAUSE',
  'RESUME',
  'CANCEL',
]);

/** The failure kinds each `RETRY_JOB { from }` can retry. */
const RETRYABLE_FROM: Record<RetryFrom, readonly string[]> = {
  run: [
    'job_failed',
    'timeout',
    'verification',
    'integration_conflict',
    'check_failed',
    'interrupted',
    'worker_lost',
  ],
  verify: ['verification'],
  integrate: ['integration_conflict', 'check_failed'],
};

function jobLabel(ctx: PlanContext, jobId: string): string {
  const job = ctx.jobs[jobId]!;
  return job.attempt > 0 ? `Job "${jobId}" (attempt ${job.attempt})` : `Job "${jobId}"`;
}

/** The job a command names, or the reason it names none. */
function jobProblem(ctx: PlanContext, command: { type: string; jobId?: unknown }): string | null {
  if (typeof command.jobId !== 'string') {
    return `${command.type} needs a jobId (a string); got ${JSON.stringify(command.jobId) ?? 'undefined'}`;
  }
  if (!ctx.jobs[command.jobId]) {
    return `No job "${command.jobId}" in plan "${ctx.planId}"; ${command.type} rejected`;
  }
  return null;
}

function describeCheckpoint(status: PlanStatus, ctx: PlanContext): string {
  const checkpoint = checkpointOf(status, ctx);
  if (!checkpoint) return 'no checkpoint';
  if (checkpoint.name === 'on_error') {
    return 'jobId' in checkpoint
      ? `on_error for job "${checkpoint.jobId}" (${checkpoint.kind})`
      : `on_error (${checkpoint.kind})`;
  }
  return 'jobId' in checkpoint
    ? `${checkpoint.name} for job "${checkpoint.jobId}"`
    : checkpoint.name;
}

/**
 * Why `command` cannot be applied to a plan in `status` with this context, or null when it can.
 * The orchestrator answers `send()` with it and the machine checks it again before applying, so
 * a command is never half-applied and never dropped without a reason.
 */
export function rejectionOf(
  status: PlanStatus,
  ctx: PlanContext,
  command: PlanCommand,
): string | null {
  const type = (command as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !COMMAND_TYPES.has(type)) {
    return `Unknown command ${JSON.stringify(type)}; expected one of ${[...COMMAND_TYPES].join(', ')}`;
  }
  if (FINISHED_STATUSES.has(status)) {
    return `Plan "${ctx.planId}" is finished (status: ${status}); ${type} rejected`;
  }
  switch (command.type) {
    case 'CANCEL':
      return null;
    case 'PAUSE':
      if (status === 'awaitingApproval' || status === 'finalizing') {
        return `Plan "${ctx.planId}" cannot pause now (status: ${status}); PAUSE rejected`;
      }
      return ctx.userPaused
        ? `Plan "${ctx.planId}" is already paused by PAUSE; PAUSE rejected`
        : null;
    case 'RESUME':
      if (ctx.userPaused || ctx.persistenceFailure) return null;
      if (status === 'paused') {
        return `Plan "${ctx.planId}" is paused at ${describeCheckpoint(status, ctx)}; approve, retry or skip to go on (RESUME rejected)`;
      }
      return `Plan "${ctx.planId}" is not paused (status: ${status}); RESUME rejected`;
    case 'APPROVE':
      return approvalProblem(status, ctx, command);
    case 'RETRY_JOB':
      return retryProblem(ctx, command);
    case 'RETRY_FINALIZE':
      return ctx.finalize.failure === null
        ? `Plan "${ctx.planId}" has no failed finalize to retry (status: ${status}); RETRY_FINALIZE rejected`
        : null;
    case 'SKIP_JOB': {
      const problem = jobProblem(ctx, command);
      if (problem) return problem;
      const job = ctx.jobs[command.jobId]!;
      if (job.status === 'succeeded' || job.status === 'skipped' || job.status === 'canceled') {
        return `${jobLabel(ctx, job.id)} is already ${job.status}; SKIP_JOB rejected`;
      }
      if (job.status === 'integrating') {
        return `${jobLabel(ctx, job.id)} is integrating; wait for its integration to end (SKIP_JOB rejected)`;
      }
      return null;
    }
    case 'ADD_JOB': {
      const id = (command.job as { id?: unknown } | undefined)?.id;
      if (typeof id === 'string' && ctx.jobs[id]) {
        return `Job id "${id}" is already in plan "${ctx.planId}"; ADD_JOB rejected`;
      }
      return status === 'finalizing'
        ? `Plan "${ctx.planId}" is finalizing; ADD_JOB rejected`
        : null;
    }
    case 'REORDER':
      return reorderProblem(ctx, command.jobIds);
  }
}

function retryProblem(
  ctx: PlanContext,
  command: Extract<PlanCommand, { type: 'RETRY_JOB' }>,
): string | null {
  const problem = jobProblem(ctx, command);
  if (problem) return problem;
  const job = ctx.jobs[command.jobId]!;
  if (job.status !== 'failed') {
    return `${jobLabel(ctx, job.id)} is not failed (status: ${job.status}); RETRY_JOB rejected`;
  }
  const from = command.from ?? 'run';
  const kinds = RETRYABLE_FROM[from as RetryFrom];
  if (!kinds) {
    return `RETRY_JOB from ${JSON.stringify(from)} is unknown; use "run", "verify" or "integrate"`;
  }
  const kind = job.failure?.kind ?? 'job_failed';
  if (!kinds.includes(kind)) {
    return `RETRY_JOB from "${from}" is not possible for job "${job.id}" (failure: ${kind}); use from: "run"`;
  }
  return null;
}

function reorderProblem(ctx: PlanContext, jobIds: unknown): string | null {
  if (!ctx.integration)
    return `Plan "${ctx.planId}" has no integration stage to reorder; REORDER rejected`;
  if (!Array.isArray(jobIds) || jobIds.length === 0) {
    return `REORDER needs jobIds, a non-empty array of job ids; got ${JSON.stringify(jobIds)}`;
  }
  const listed = new Set<string>();
  for (const id of jobIds) {
    const job = typeof id === 'string' ? ctx.jobs[id] : undefined;
    if (!job) return `No job ${JSON.stringify(id)} in plan "${ctx.planId}"; REORDER rejected`;
    if (['integrating', 'succeeded', 'skipped', 'canceled'].includes(job.status)) {
      return `Job "${id}" is ${job.status} and cannot be reordered; REORDER rejected`;
    }
    for (const dep of job.dependsOn) {
      const depStatus = ctx.jobs[dep]!.status;
      if (depStatus !== 'succeeded' && depStatus !== 'skipped' && !listed.has(dep)) {
        return `Job "${id}" cannot integrate before its dependency "${dep}" (status: ${depStatus}); REORDER rejected`;
      }
    }
    listed.add(id);
  }
  return null;
}

function approvalProblem(
  status: PlanStatus,
  ctx: PlanContext,
  command: Extract<PlanCommand, { type: 'APPROVE' }>,
): string | null {
  const checkpoint = checkpointOf(status, ctx);
  const waitingAt =
    checkpoint && checkpoint.name !== 'user' && checkpoint.name !== 'persistence'
      ? checkpoint.name
      : null;
  if (checkpoint?.name === 'persistence') {
    return `Plan "${ctx.planId}" is paused because its state could not be written (${checkpoint.error.message}); send RESUME (plan-orchestrator continue) to write again (APPROVE rejected)`;
  }
  if (checkpoint?.name === 'user') {
    return `Plan "${ctx.planId}" is paused by PAUSE; send RESUME (plan-orchestrator continue) to go on (APPROVE rejected)`;
  }
  if (waitingAt === null) {
    const named = command.checkpoint ? ` { checkpoint: "${command.checkpoint}" }` : '';
    return `Plan "${ctx.planId}" is not waiting at a checkpoint (status: ${status}); APPROVE${named} rejected`;
  }
  if (checkpoint?.name === 'on_error' && !('jobId' in checkpoint)) {
    return `Plan "${ctx.planId}" is paused because finalize failed; send RETRY_FINALIZE or CANCEL (APPROVE rejected)`;
  }
  if (command.checkpoint !== undefined && command.checkpoint !== waitingAt) {
    return `Plan "${ctx.planId}" is waiting at ${describeCheckpoint(status, ctx)}, not "${command.checkpoint}"; APPROVE rejected`;
  }
  if (command.jobId !== undefined) {
    const awaiting =
      waitingAt === 'on_error'
        ? ctx.unresolved.includes(command.jobId)
        : waitingAt === 'pre_integrate' || waitingAt === 'pre_run'
          ? ctx.gate?.name === waitingAt && ctx.gate.jobId === command.jobId
          : waitingAt === 'pre_change' && ctx.proposed.some((job) => job.id === command.jobId);
    if (!awaiting) {
      const jobStatus = ctx.jobs[command.jobId]?.status ?? 'not in this plan';
      return `Job "${command.jobId}" is not awaiting approval at ${waitingAt} (status: ${jobStatus}); APPROVE rejected`;
    }
  }
  return null;
}
