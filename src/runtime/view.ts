import type { ErrorInfo, FailureKind } from '../../machines/errors.js';
import type { JobStatus, PlanContext } from '../../machines/plan/context.js';
import type { Checkpoint } from '../../machines/plan/records.js';
import type { PlanStatus } from '../../machines/plan/status.js';
import type { Placement } from '../shared/placement.js';

/** One job as the plan view shows it. */
export interface JobView {
  /** The job's id. */
  id: string;
  /** Where the job is. */
  status: JobStatus;
  /** The jobs it waits for. */
  dependsOn: readonly string[];
  /** Latest attempt number, 0 before the first. */
  attempt: number;
  /** The latest attempt's id; null before the first. */
  attemptId: string | null;
  /** The job's output, once its work succeeded. */
  output?: unknown;
  /** Why the job failed, once it did. */
  failure?: { kind: FailureKind; error: ErrorInfo; violations?: string[] };
  /** The dependency that blocked it, when `blocked`. */
  blockedBy?: string;
  /** Clock time the latest attempt was started, when known. */
  startedAt?: number;
  /** Clock time the job ended, when known. */
  endedAt?: number;
  /** The worker that runs the latest attempt (or ran it), for a job whose attempts run on a queue. */
  worker?: string;
  /**
   * For a job whose attempt waits on a queue no worker took it from: "no worker on queue NAME
   * seen for N s". Such a job is shown `queued` (its status stays `running`: its attempt began).
   */
  waiting?: string;
}

/** The plan as it stands: what `getView()` returns and `view$` emits. */
export interface PlanView {
  /** The plan's id. */
  planId: string;
  /** Where the plan is. */
  status: PlanStatus;
  /** The scheduling pass while running: `idle`, `reconciling` or `reconcilePending`. */
  pass: 'idle' | 'reconciling' | 'reconcilePending' | null;
  /** The checkpoint the plan waits at; null when it waits at none. */
  checkpoint: Checkpoint | null;
  /** How many jobs are in each status. */
  counts: Record<JobStatus, number>;
  /** Every job, in declaration order. */
  jobs: JobView[];
}

/** What the view knows of a job beyond the plan's state: when it ran, and on which worker. */
export interface JobTiming extends Placement {
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
