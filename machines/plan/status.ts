// Apart from commands.ts, so that records and checkpoints can name a status without the
// command rules.

/** Where a plan is in its life; `completed`, `failed` and `canceled` are final. */
export type PlanStatus =
  | 'awaitingApproval'
  | 'running'
  | 'paused'
  | 'finalizing'
  | 'completed'
  | 'failed'
  | 'canceled';

export const FINISHED_STATUSES: ReadonlySet<PlanStatus> = new Set([
  'completed',
  'failed',
  'canceled',
]);

/** A checkpoint an `APPROVE` can name (`user` and `persistence` are left with `RESUME`). */
export type CheckpointName =
  | 'start'
  | 'on_error'
  | 'pre_run'
  | 'pre_integrate'
  | 'pre_finalize'
  | 'pre_change';
