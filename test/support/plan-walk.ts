import type { AnyMachineSnapshot } from 'xstate';
import { toErrorInfo } from '../../machines/errors.js';
import type { PlanJobInput, PlanMachineInput } from '../../machines/plan/context.js';
import { integrationIdOf } from '../../machines/plan/integration-queue.js';
import type { PlanEvent, planMachine } from '../../machines/plan.machine.js';
import { attemptIdOf } from '../../machines/retry.js';

type PlanSnapshot = ReturnType<(typeof planMachine)['getInitialSnapshot']>;

export function jobInput(
  id: string,
  dependsOn: string[] = [],
  extra: Partial<PlanJobInput> = {},
): PlanJobInput {
  const retry = { maxAttempts: 2, initialDelayMs: 10, factor: 2, maxDelayMs: 100, jitter: 0 };
  return { id, dependsOn, priority: 0, retry, timeoutMs: null, verify: false, ...extra };
}

export function planInput(extra: Partial<PlanMachineInput>): PlanMachineInput {
  return {
    planId: 'walk',
    mode: 'autopilot',
    maxParallel: 2,
    onJobFailure: 'pause',
    onSkip: 'block',
    writeAhead: false,
    integration: null,
    finalize: false,
    jobs: [jobInput('A'), jobInput('B', ['A'])],
    ...extra,
  };
}

/**
 * Every event the plan machine could meet in this snapshot, internal and public: each job's
 * outcomes for its current attempt, its next due
 * attempt, the integration's and finalize's outcomes, the store's answers and every command.
 */
export function eventsFor(snapshot: AnyMachineSnapshot): PlanEvent[] {
  const ctx = (snapshot as PlanSnapshot).context;
  const error = toErrorInfo(new Error('boom'));
  const events: Array<PlanEvent | { type: string; [key: string]: unknown }> = [];
  for (const id of ctx.order) {
    const job = ctx.jobs[id]!;
    const attemptId = job.attemptId ?? attemptIdOf(id, 1);
    const completed = { type: 'JOB_COMPLETED' as const, jobId: id, attemptId, output: `${id}!` };
    const failed = {
      type: 'JOB_FAILED' as const,
      jobId: id,
      attemptId,
      error,
      kind: 'job_failed' as const,
    };
    events.push(
      completed,
      { ...failed, willRetry: false },
      { ...failed, willRetry: true, retryInMs: 10 },
      { ...failed, kind: 'verification', willRetry: false, violations: ['v'], output: 1 },
      { type: 'JOB_PROGRESS', jobId: id, attemptId, progress: 50 },
      { type: 'JOB_VERIFYING', jobId: id, attemptId },
      {
        type: 'JOB_ATTEMPT_DUE',
        jobId: id,
        attemptId: attemptIdOf(id, job.attempt + 1),
        attempt: job.attempt + 1,
      },
      { type: 'SKIP_JOB', jobId: id, reason: 'no' },
      { type: 'RETRY_JOB', jobId: id },
      { type: 'RETRY_JOB', jobId: id, from: 'verify' },
      { type: 'RETRY_JOB', jobId: id, from: 'integrate' },
      { type: 'APPROVE', jobId: id },
    );
  }
  if (ctx.integrating !== null) {
    const job = ctx.jobs[ctx.integrating]!;
    const integrationId = integrationIdOf(job);
    events.push(
      { type: 'INTEGRATION_DONE', jobId: job.id, integrationId, changed: true },
      { type: 'INTEGRATION_FAILED', jobId: job.id, integrationId, kind: 'check_failed', error },
    );
  }
  // The integration actor ends after its outcome.
  if (ctx.actors > 0) events.push({ type: 'xstate.done.actor.integration' });
  for (const id of Object.keys(snapshot.children)) {
    if (snapshot.value !== 'finalizing' || id.startsWith('slot-') || id === 'integration') continue;
    events.push({ type: `xstate.done.actor.${id}`, output: 'done' });
    events.push({ type: `xstate.error.actor.${id}`, error: new Error('finalize failed') });
  }
  events.push(
    { type: 'APPROVE' },
    { type: 'PAUSE' },
    { type: 'RESUME' },
    { type: 'RETRY_FINALIZE' },
    { type: 'REORDER', jobIds: [...ctx.order].reverse() },
    { type: 'ADD_JOB', job: jobInput(`X${ctx.order.length}`, [ctx.order[0]!]) },
    { type: 'COMMIT_SUCCEEDED', upTo: ctx.commitRequested },
    { type: 'COMMIT_FAILED', error },
    { type: 'CANCEL', reason: 'enough' },
  );
  return events as PlanEvent[];
}

/** A job whose actor was spawned and has not ended (it ends with its outcome). */
/** A snapshot's identity for a walk: its state and its context. */
export function keyOf(snapshot: AnyMachineSnapshot): string {
  return JSON.stringify([snapshot.value, snapshot.status, snapshot.context]);
}
