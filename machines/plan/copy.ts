import type { JobRecord, PlanContext } from './context.js';

/**
 * A copy of a plan context that shares nothing the plan machine's actions change: every job
 * record, every collection and every nested object the bookkeeping writes to is new; values it
 * only replaces (outputs, failures, settings) are shared. O(jobs): for pure transitions of the
 * exported machine, never on the runtime's path.
 */
export function copyPlanContext(ctx: PlanContext): PlanContext {
  const jobs: Record<string, JobRecord> = Object.create(null);
  for (const id of Object.keys(ctx.jobs)) {
    const job = ctx.jobs[id]!;
    jobs[id] = { ...job, dependsOn: [...job.dependsOn], dependents: [...job.dependents] };
  }
  return {
    ...ctx,
    jobs,
    order: [...ctx.order],
    ready: [...ctx.ready],
    freeSlots: [...ctx.freeSlots],
    slotActors: Object.assign(Object.create(null), ctx.slotActors),
    toLaunch: [...ctx.toLaunch],
    toLaunchCommit: [...ctx.toLaunchCommit],
    toStart: [...ctx.toStart],
    toStartCommit: [...ctx.toStartCommit],
    dueJobs: [...ctx.dueJobs],
    unresolved: [...ctx.unresolved],
    awaiting: [...ctx.awaiting],
    strictOrder: [...ctx.strictOrder],
    proposed: [...ctx.proposed],
    finalize: { ...ctx.finalize },
  };
}
