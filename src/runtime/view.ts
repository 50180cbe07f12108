import type { ErrorInfo, FailureKind } from '../../machines/errors.js';
import type { JobStatus, PlanContext } from '../../machines/plan/context.js';
import type { Checkpoint } from '../../machines/plan/records.js';
import type { PlanStatus } from '../../machines/plan/status.js';

export interface JobView {
  id: string;
  status: JobStatus;
  dependsOn: readonly string[];
  /** Latest attempt number, 0 before the first. */
  attempt: number;
  attemptId: string | null;
  output?: unknown;
  failure?: { kind: FailureKind; error: ErrorInfo; violations?: string[] };
  blockedBy?: string;
  /** Clock time the latest attempt was started and the job ended, when known. */
  startedAt?: number;
  endedAt?: number;
}

export interface PlanView {
  planId: string;
  status: PlanStatus;
  /** The scheduling pass while running: `idle`, `reconciling` or `reconcilePending`. */
  pass: 'idle' | 'reconciling' | 'reconcilePending' | null;
  checkpoint: Checkpoint | null;
  counts: Record<JobStatus, number>;
  jobs: JobView[];
}

export interface JobTiming {
  startedAt?: number;
  endedAt?: number;
}

const EMPTY_COUNTS: Record<JobStatus, number> = {
  waiting: 0,
  queued: 0,
  running: 0,
  retrying: 0,
  verifying: 0,
  awaitingIntegration: 0,
  integrating: 0,
  succeeded: 0,
  failed: 0,
  blocked: 0,
  skipped: 0,
  canceled: 0,
};

export function buildView(
  status: PlanStatus,
  pass: PlanView['pass'],
  checkpoint: Checkpoint | null,
  ctx: PlanContext,
  timing: ReadonlyMap<string, JobTiming>,
): PlanView {
  const counts = { ...EMPTY_COUNTS };
  const jobs = ctx.order.map((id): JobView => {
    const job = ctx.jobs[id]!;
    counts[job.status]++;
    return {
      id,
      status: job.status,
      dependsOn: job.dependsOn,
      attempt: job.attempt,
      attemptId: job.attemptId,
      ...(job.output !== undefined ? { output: job.output } : {}),
      ...(job.failure ? { failure: job.failure } : {}),
      ...(job.blockedBy ? { blockedBy: job.blockedBy } : {}),
      ...timing.get(id),
    };
  });
  return { planId: ctx.planId, status, pass, checkpoint, counts, jobs };
}
