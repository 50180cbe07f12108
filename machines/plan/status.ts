// Apart from commands.ts, so that records and checkpoints can name a status without the
// command rules.

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

export type CheckpointName = 'start' | 'on_error' | 'pre_integrate' | 'pre_finalize' | 'pre_change';
