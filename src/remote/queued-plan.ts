import type { JobRun, JobRunContext, JobSpec, PlanSpec } from '../plan/types.js';
import { type PlanIssue, PlanValidationError } from '../shared/errors.js';
import type { AttemptQueue } from './attempt-queue.js';

/** Where a job's attempts run: on the queue's workers (the default in a queued plan) or here. */
export type RunsOn = 'local' | 'queue';

/** A job whose attempts run on a worker, by a handler registered there; its input is JSON data. */
export interface HandlerJobSpec<Input = unknown, Output = unknown>
  extends Omit<JobSpec<Input, Output>, 'run'> {
  /** The name of a handler registered on the queue's workers (`createWorker({ handlers })`). */
  handler: string;
  runsOn?: 'queue';
}

/** A job of a queued plan: one that names a handler, or one kept local by `runsOn: 'local'`. */
export type QueuedJobSpec = HandlerJobSpec | (JobSpec & { runsOn?: RunsOn });

/** A plan whose jobs may name handlers run by the queue's workers (see `queuedPlan`). */
export interface QueuedPlanSpec extends Omit<PlanSpec, 'jobs'> {
  jobs: readonly QueuedJobSpec[];
}

/** How `queuedPlan` sends a plan's attempts to the queue. */
export interface QueuedPlanOptions {
  /**
   * Tells this run's attempts apart from other runs' on the same queue, and finds them again
   * after a coordinator restart. Default: the plan id (which a Redis store keeps unique).
   */
  runKey?: string;
  /**
   * Turns a job's `run` function that is really a command (the command line's shell jobs) into
   * data a worker runs by a registered handler: the handler's name and, for each attempt, its
   * input. Default: none, and a job with a `run` function stays refused.
   */
  asWork?: (run: JobRun) => RemoteWork | undefined;
}

/** A `run` function as a worker runs it: by `handler`, with `inputOf(ctx)` as the input. */
export interface RemoteWork {
  handler: string;
  inputOf: (ctx: JobRunContext) => unknown;
  /** Applied to each progress report and to the output before the plan sees them. */
  redact?: (value: unknown) => unknown;
}

/**
 * The plan with its attempts sent to `queue`: each job that names a `handler` (or is a plan
 * file's shell job) runs on the queue's workers, one BullMQ job per attempt; a job with
 * `runsOn: 'local'` runs here as before. A job with an inline `run` function cannot travel and
 * is refused, naming the job and what to do.
 */
export function queuedPlan(
  plan: QueuedPlanSpec,
  queue: AttemptQueue,
  options: QueuedPlanOptions = {},
): PlanSpec {
  const runKey = options.runKey ?? plan.id;
  const issues: PlanIssue[] = [];
  const jobs = (Array.isArray(plan.jobs) ? plan.jobs : []).map((job: QueuedJobSpec, i) => {
    const { runsOn, ...rest } = job as QueuedJobSpec & { handler?: unknown; run?: unknown };
    const path = `jobs[${i}]`;
    if (runsOn !== undefined && runsOn !== 'local' && runsOn !== 'queue') {
      issues.push({
        code: 'INVALID_JOB',
        kind: 'not_one_of',
        field: 'runsOn',
        path: `${path}.runsOn`,
        jobId: job.id,
        message: `runsOn must be "local" or "queue"; got ${JSON.stringify(runsOn)}`,
      });
      return rest as JobSpec;
    }
    if ('handler' in rest && rest.handler !== undefined) {
      const { handler, ...spec } = rest;
      if (typeof handler !== 'string' || handler === '' || runsOn === 'local' || 'run' in spec) {
        issues.push({
          code: 'INVALID_JOB',
          kind: typeof handler !== 'string' || handler === '' ? 'wrong_type' : 'conflict',
          field: 'handler',
          path: `${path}.handler`,
          jobId: job.id,
          message:
            typeof handler !== 'string' || handler === ''
              ? `handler must be the non-empty name of a handler registered on the workers; got ${JSON.stringify(handler)}`
              : `job "${job.id}" names handler "${handler}" and also has ${runsOn === 'local' ? 'runsOn "local"' : 'a run function'}: a handler runs on the queue's workers; give one or the other`,
        });
        return spec as JobSpec;
      }
      return { ...spec, run: queue.runOf(runKey, handler) } as JobSpec;
    }
    const spec = rest as JobSpec;
    if (runsOn === 'local') return spec;
    const work = typeof spec.run === 'function' ? options.asWork?.(spec.run) : undefined;
    if (work) {
      const run = queue.runOf(runKey, work.handler);
      const redact = work.redact ?? ((value: unknown) => value);
      const remote = async (ctx: JobRunContext) =>
        redact(
          await run({
            ...ctx,
            input: work.inputOf(ctx),
            report: (progress) => ctx.report(redact(progress)),
          }),
        );
      return { ...spec, run: remote };
    }
    if (typeof spec.run === 'function') {
      issues.push({
        code: 'INVALID_JOB',
        kind: 'invalid_value',
        field: 'run',
        path: `${path}.run`,
        jobId: job.id,
        message: `job "${job.id}" would run on queue "${queue.name}" but its run is an inline function, which cannot be sent to a worker; register it as a handler on the workers and name it with handler, or keep the job here with runsOn: "local"`,
      });
    }
    return spec;
  });
  if (issues.length > 0) throw new PlanValidationError(issues);
  return { ...plan, jobs };
}
