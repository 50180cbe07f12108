import { newJobRecord, type PlanContext, type PlanJobInput } from './context.js';
import { rankAddedJob } from './critical-path.js';
import { pushReady } from './ready-queue.js';
import type { PlanRecord } from './records.js';
import { isDead, queue, settle } from './scheduling.js';

/**
 * Live changes to a running plan. The orchestrator validates an added job exactly like a plan's
 * job before the machine sees it; here it joins the graph as if it had been declared last.
 */
export function addJob(ctx: PlanContext, input: PlanJobInput, out: PlanRecord[]): void {
  const job = newJobRecord(input, ctx.order.length);
  ctx.jobs[job.id] = job;
  ctx.order.push(job.id);
  if (ctx.integration?.order === 'strict') ctx.strictOrder.push(job.id);
  out.push({ type: 'job-added', jobId: job.id, job: input });
  job.waitingOn = 0;
  let deadDependency: string | undefined;
  for (const id of job.dependsOn) {
    const dep = ctx.jobs[id]!;
    dep.dependents.push(job.id);
    const done =
      dep.status === 'succeeded' || (dep.status === 'skipped' && ctx.onSkip === 'release');
    if (!done) job.waitingOn++;
    // A failure still awaiting a decision may yet be retried: the new job waits for it.
    if (isDead(ctx, dep) && !ctx.unresolved.includes(id)) deadDependency ??= id;
  }
  rankAddedJob(ctx.jobs, ctx.ready, job);
  ctx.dirty = true;
  if (deadDependency !== undefined) {
    settle(ctx, job, 'blocked');
    job.blockedBy = deadDependency;
    out.push({ type: 'job-blocked', jobId: job.id, by: deadDependency });
  } else if (job.waitingOn === 0) {
    queue(ctx, job, out);
  }
}

/** `REORDER`: the listed jobs integrate before every other job not yet integrated, in that order. */
export function reorder(ctx: PlanContext, jobIds: readonly string[]): void {
  const listed = jobIds.map((id) => ctx.jobs[id]!);
  if (ctx.integration?.order === 'strict') {
    const moved = new Set(jobIds);
    const rest = ctx.strictOrder.slice(ctx.strictNext).filter((id) => !moved.has(id));
    ctx.strictOrder = [...ctx.strictOrder.slice(0, ctx.strictNext), ...jobIds, ...rest];
    return;
  }
  const waiting = ctx.order
    .map((id) => ctx.jobs[id]!)
    .filter((job) => job.status === 'awaitingIntegration');
  const lowest = Math.min(0, ...waiting.map((job) => job.rank ?? 0));
  listed.forEach((job, i) => {
    job.rank = lowest - listed.length + i;
  });
  ctx.awaiting.length = 0;
  for (const job of waiting) pushReady(ctx.awaiting, -(job.rank ?? 0), job.index);
}
