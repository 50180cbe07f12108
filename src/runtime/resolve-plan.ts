import type { PlanJobInput, PlanMachineInput } from '../../machines/plan/context.js';
import { NO_RETRY, type ResolvedRetry } from '../../machines/retry.js';
import {
  DEFAULT_MAX_PARALLEL,
  type FailurePolicy,
  type InterruptPolicy,
  type JobSpec,
  type PlanSpec,
  type RetryPolicy,
} from '../plan/types.js';

function resolveRetry(policy: RetryPolicy | undefined): ResolvedRetry {
  if (!policy) return NO_RETRY;
  return {
    maxAttempts: policy.maxAttempts,
    initialDelayMs: policy.initialDelayMs ?? 1000,
    factor: policy.factor ?? 2,
    maxDelayMs: policy.maxDelayMs ?? 60_000,
    jitter: policy.jitter ?? 0,
  };
}

/**
 * What a failure does when the plan does not say: an unattended plan (autopilot) ends failed at
 * its first failure, because a pause there would wait for nobody; where a person is in the loop
 * (copilot, supervisor) the plan pauses at `on_error` for a decision. The resolved policy is part
 * of the journal header, so a resumed plan keeps the one it started with.
 */
export function defaultFailurePolicy(mode: PlanMachineInput['mode']): FailurePolicy {
  return mode === 'autopilot' ? 'fail' : 'pause';
}

/** The serializable machine input of a validated plan, every default filled in. */
export function toMachineInput(plan: PlanSpec, writeAhead: boolean): PlanMachineInput {
  const mode = plan.mode ?? 'autopilot';
  return {
    planId: plan.id,
    mode,
    maxParallel: plan.maxParallel ?? DEFAULT_MAX_PARALLEL,
    onJobFailure: plan.onJobFailure ?? defaultFailurePolicy(mode),
    onSkip: plan.onSkip ?? 'block',
    writeAhead,
    integration: plan.integration
      ? {
          order: plan.integration.order ?? 'completion',
          check: plan.integration.check !== undefined,
          rollback: plan.integration.rollback !== undefined,
          checkTimeoutMs: plan.integration.checkTimeoutMs ?? null,
        }
      : null,
    finalize: plan.finalize !== undefined,
    jobs: plan.jobs.map((job) => toJobInput(job, plan.defaultRetry, plan.onInterrupt)),
  };
}

/** The serializable part of a job, defaults filled in. */
export function toJobInput(
  job: JobSpec,
  defaultRetry: RetryPolicy | undefined,
  defaultInterrupt: InterruptPolicy = 'rerun',
): PlanJobInput {
  const input: PlanJobInput = {
    id: job.id,
    dependsOn: job.dependsOn ?? [],
    priority: job.priority ?? 0,
    retry: resolveRetry(job.retry ?? defaultRetry),
    timeoutMs: job.timeoutMs ?? null,
    verify: job.verify !== undefined,
  };
  // Only when set: journals of plans that never hold read as before.
  if ((job.onInterrupt ?? defaultInterrupt) === 'hold') input.onInterrupt = 'hold';
  if (job.requiresApproval === true) input.requiresApproval = true;
  return input;
}
