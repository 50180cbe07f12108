import type { PlanContext } from './context.js';

export type PlanStatus =
  | 'awaitingApproval'
  | 'running'
  | 'paused'
  | 'completed'
  | 'failed'
  | 'canceled';

export const FINISHED_STATUSES: ReadonlySet<PlanStatus> = new Set([
  'completed',
  'failed',
  'canceled',
]);

export type CheckpointName = 'start' | 'on_error';

/** Commands a person or program sends to a plan. Each is accepted or rejected with a reason. */
export type PlanCommand =
  | { type: 'APPROVE'; checkpoint?: CheckpointName; jobId?: string }
  | { type: 'RETRY_JOB'; jobId: string; from?: 'run' }
  | { type: 'SKIP_JOB'; jobId: string; reason?: string }
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  | { type: 'CANCEL'; reason?: string };

export const COMMAND_TYPES: ReadonlySet<string> = new Set([
  'APPROVE',
  'RETRY_JOB',
  'SKIP_JOB',
  'PAUSE',
  'RESUME',
  'CANCEL',
]);

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

function onErrorDescription(ctx: PlanContext): string {
  const jobId = ctx.unresolved[0]!;
  return `on_error for job "${jobId}" (${ctx.jobs[jobId]!.failure?.kind ?? 'job_failed'})`;
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
      if (status === 'awaitingApproval') {
        return `Plan "${ctx.planId}" has not started (status: awaitingApproval); PAUSE rejected`;
      }
      return ctx.userPaused
        ? `Plan "${ctx.planId}" is already paused by PAUSE; PAUSE rejected`
        : null;
    case 'RESUME':
      if (ctx.userPaused) return null;
      if (ctx.unresolved.length > 0) {
        return `Plan "${ctx.planId}" is paused at ${onErrorDescription(ctx)}; retry, skip or approve it (RESUME rejected)`;
      }
      return `Plan "${ctx.planId}" is not paused (status: ${status}); RESUME rejected`;
    case 'APPROVE':
      return approvalProblem(status, ctx, command);
    case 'RETRY_JOB': {
      const problem = jobProblem(ctx, command);
      if (problem) return problem;
      const job = ctx.jobs[command.jobId]!;
      if (job.status !== 'failed') {
        return `${jobLabel(ctx, job.id)} is not failed (status: ${job.status}); RETRY_JOB rejected`;
      }
      if (command.from !== undefined && command.from !== 'run') {
        return `RETRY_JOB from ${JSON.stringify(command.from)} is not possible for job "${job.id}" (failure: ${job.failure?.kind}); use from: "run"`;
      }
      return null;
    }
    case 'SKIP_JOB': {
      const problem = jobProblem(ctx, command);
      if (problem) return problem;
      const job = ctx.jobs[command.jobId]!;
      if (job.status === 'succeeded' || job.status === 'skipped' || job.status === 'canceled') {
        return `${jobLabel(ctx, job.id)} is already ${job.status}; SKIP_JOB rejected`;
      }
      return null;
    }
  }
}

function approvalProblem(
  status: PlanStatus,
  ctx: PlanContext,
  command: Extract<PlanCommand, { type: 'APPROVE' }>,
): string | null {
  const waitingAt: CheckpointName | null =
    status === 'awaitingApproval' ? 'start' : ctx.unresolved.length > 0 ? 'on_error' : null;
  if (waitingAt === null) {
    const named = command.checkpoint ? ` { checkpoint: "${command.checkpoint}" }` : '';
    return `Plan "${ctx.planId}" is not waiting at a checkpoint (status: ${status}); APPROVE${named} rejected`;
  }
  if (command.checkpoint !== undefined && command.checkpoint !== waitingAt) {
    return `Plan "${ctx.planId}" is waiting at "${waitingAt}", not "${command.checkpoint}"; APPROVE rejected`;
  }
  if (
    waitingAt === 'on_error' &&
    command.jobId !== undefined &&
    !ctx.unresolved.includes(command.jobId)
  ) {
    const status = ctx.jobs[command.jobId]?.status ?? 'not in this plan';
    return `Job "${command.jobId}" is not awaiting approval (status: ${status}); APPROVE rejected`;
  }
  return null;
}
