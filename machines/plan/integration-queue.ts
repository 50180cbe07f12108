import type { IntegrationToPlanEvent } from '../integration.machine.js';
import type { JobRecord, PlanContext } from './context.js';
import { popReady } from './ready-queue.js';
import type { PlanRecord } from './records.js';
import { failJob, passCommit, succeed } from './scheduling.js';

/**
 * The serial integration stage: which job integrates next, and what an integration's outcome
 * means. One job integrates at a time; in `completion` order the first to finish its work goes
 * first, in `strict` order jobs go in plan order and a job waits for every job before it.
 */

/** True when a job will never need integrating again (or not until a person retries it). */
function passedInStrictOrder(ctx: PlanContext, job: JobRecord): boolean {
  switch (job.status) {
    case 'succeeded':
    case 'skipped':
    case 'blocked':
    case 'canceled':
      return true;
    case 'failed':
      // An unresolved failure holds the plan at on_error; one that stands is passed over.
      return !ctx.unresolved.includes(job.id);
    default:
      return false;
  }
}

function nextToIntegrate(ctx: PlanContext): JobRecord | null {
  if (ctx.integration?.order === 'strict') {
    while (ctx.strictNext < ctx.strictOrder.length) {
      const job = ctx.jobs[ctx.strictOrder[ctx.strictNext]!]!;
      if (!passedInStrictOrder(ctx, job)) return job.status === 'awaitingIntegration' ? job : null;
      ctx.strictNext++;
    }
    return null;
  }
  while (ctx.awaiting.length > 0) {
    const job = ctx.jobs[ctx.order[ctx.awaiting[0]![1]]!]!;
    if (job.status === 'awaitingIntegration') return job;
    popReady(ctx.awaiting); // left the queue another way (skipped, canceled)
  }
  return null;
}

/** Starts the next integration when none runs; in supervisor mode, asks first. */
export function advanceIntegration(ctx: PlanContext, out: PlanRecord[]): void {
  if (!ctx.integration || ctx.integrating !== null || ctx.gate !== null) return;
  const job = nextToIntegrate(ctx);
  if (!job) return;
  if (ctx.mode === 'supervisor' && !job.integrateApproved) {
    ctx.gate = { name: 'pre_integrate', jobId: job.id };
    return;
  }
  if (ctx.integration.order === 'completion') popReady(ctx.awaiting);
  job.status = 'integrating';
  job.integrations++;
  ctx.integrating = job.id;
  ctx.toIntegrate = job.id;
  ctx.toIntegrateCommit = passCommit(ctx);
  out.push({ type: 'integration-started', jobId: job.id, integrationId: integrationIdOf(job) });
}

export function integrationIdOf(job: JobRecord): string {
  return `${job.id}@${job.integrations}`;
}

export function recordIntegrationEvent(
  ctx: PlanContext,
  event: IntegrationToPlanEvent,
  out: PlanRecord[],
): void {
  const job = ctx.jobs[event.jobId];
  if (job?.status !== 'integrating' || integrationIdOf(job) !== event.integrationId) {
    out.push({
      type: 'result-ignored',
      jobId: event.jobId,
      attemptId: event.integrationId,
      event: event.type,
      why: job
        ? `job is ${job.status}, not integrating ${event.integrationId}`
        : `no job "${event.jobId}" in this plan`,
    });
    return;
  }
  ctx.integrating = null;
  if (event.type === 'INTEGRATION_DONE') {
    out.push({
      type: 'job-integrated',
      jobId: job.id,
      integrationId: event.integrationId,
      changed: event.changed,
    });
    succeed(ctx, job, out);
  } else {
    failJob(ctx, job, event.integrationId, { kind: event.kind, error: event.error }, out);
  }
}
