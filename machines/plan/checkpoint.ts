import type { PlanContext } from './context.js';
import type { Checkpoint } from './records.js';
import type { PlanStatus } from './status.js';

/** Why the plan holds, in the order a person must deal with them. */
export function holdingCheckpoint(ctx: PlanContext): Checkpoint | null {
  if (ctx.persistenceFailure) return { name: 'persistence', error: ctx.persistenceFailure };
  const failed = ctx.unresolved[0];
  if (failed !== undefined) {
    const failure = ctx.jobs[failed]!.failure!;
    return { name: 'on_error', jobId: failed, kind: failure.kind, error: failure.error };
  }
  if (ctx.finalize.failure)
    return { name: 'on_error', kind: 'finalize_failed', error: ctx.finalize.failure };
  if (ctx.proposed.length > 0)
    return { name: 'pre_change', jobIds: ctx.proposed.map((job) => job.id) };
  if (ctx.gate) return { ...ctx.gate };
  if (ctx.userPaused) return { name: 'user' };
  return null;
}

/** Whether the plan must hold (it builds no checkpoint when it need not). */
export function mustHold(ctx: PlanContext): boolean {
  return holdingCheckpoint(ctx) !== null;
}

/** Where a plan in `status` waits, derived from its context. */
export function checkpointOf(status: PlanStatus, ctx: PlanContext): Checkpoint | null {
  if (status === 'awaitingApproval') return { name: 'start' };
  return status === 'paused' ? holdingCheckpoint(ctx) : null;
}
