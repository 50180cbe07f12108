import type { Observable } from 'rxjs';
import type { PlanSummary } from '../../machines/plan.machine.js';

/** The outputs of a job's dependencies, by job id. */
export type JobNeeds = Readonly<Record<string, unknown>>;

/**
 * What a job's `run` function receives. `Needs` types `needs`: write it from the jobs depended on,
 * e.g. `JobRunContext<unknown, { build: OutputOf<typeof build> }>`.
 */
export interface JobRunContext<Input = unknown, Needs extends object = JobNeeds> {
  /** The job's id. */
  readonly jobId: string;
  /** 1 for the first attempt, counting on across retries and `RETRY_JOB`. */
  readonly attempt: number;
  /**
   * Unique per attempt (`<jobId>#<attempt>`): use it as the idempotency key of any side effect,
   * because an attempt whose result was lost may run again.
   */
  readonly attemptId: string;
  /** The job's `input`. */
  readonly input: Input;
  /**
   * The output of each job listed in `dependsOn` (direct dependencies only), by id: what its
   * `run` resolved to. A dependency that was skipped under `onSkip: 'release'` has none
   * (`undefined`). Read from the plan's state, so it is the same after a resume.
   */
  readonly needs: Needs;
  /** Aborted when the attempt times out, the job is skipped or the plan is canceled. */
  readonly signal: AbortSignal;
  /** Reports progress; it reaches `events$` as `job-progress`. Ignored once the attempt ended. */
  report(progress: unknown): void;
}

/**
 * A job's work: a function returning a promise (or a value), or an Observable whose last value is
 * the output and whose every value is reported as progress.
 */
export type JobRun<Input = unknown, Output = unknown> = (
  ctx: JobRunContext<Input>,
) => Promise<Output> | Observable<Output> | Output;

/**
 * The output a job's `run` produces (what dependents find in `ctx.needs`): the value its promise
 * resolves to, or the last value of its Observable.
 */
export type OutputOf<Job> = Job extends { run: (...args: never[]) => infer Result }
  ? Result extends Observable<infer Value>
    ? Value
    : Awaited<Result>
  : never;

/**
 * Retry policy of one job: the delay before attempt n + 1 is
 * `min(maxDelayMs, initialDelayMs × factor^(n − 1))`, less up to `jitter` of it. Without a
 * policy, a job gets exactly one attempt.
 */
export interface RetryPolicy {
  /**
   * Total attempts, the first included. `NonRetryableError` thrown by `run` ends them at once.
   *
   * Integer, 1 to 1000.
   */
  maxAttempts: number;
  /**
   * Delay before the second attempt, in milliseconds.
   *
   * Integer, 0 to 86,400,000 (one day).
   *
   * @default 1000
   */
  initialDelayMs?: number;
  /**
   * Multiplier applied to the delay after each failed attempt.
   *
   * 1 to 100.
   *
   * @default 2
   */
  factor?: number;
  /**
   * Upper bound of any delay, in milliseconds.
   *
   * Integer, at least `initialDelayMs`, at most 86,400,000 (one day).
   *
   * @default 60000
   */
  maxDelayMs?: number;
  /**
   * Fraction of the delay to randomise. The random part is derived from the attempt id, so a
   * delay is the same every time the plan is replayed.
   *
   * 0 (none) to 1.
   *
   * @default 0
   */
  jitter?: number;
}

/** The outcome of `verify`: `true`/nothing when the result is acceptable, or the violations. */
export type VerifyResult = boolean | undefined | string[];

/**
 * What a restore does with an attempt that was running when the process stopped: `rerun` (the
 * default) runs the job again as its next attempt (at least once: use `attemptId` as the
 * idempotency key of side effects); `hold` records the attempt as interrupted and holds the job
 * at the `on_error` checkpoint (failure kind `interrupted`), whatever `onJobFailure` says, until a
 * person decides: `RETRY_JOB` runs it again, `SKIP_JOB` skips it, `APPROVE` accepts that the work
 * was done (the job succeeds with no output). For work that must not simply run twice: a
 * deployment, a payment, an agent session.
 */
export type InterruptPolicy = 'rerun' | 'hold';

/** One job of a plan: its work, what it waits for, and how it is retried, timed and checked. */
export interface JobSpec<Input = unknown, Output = unknown> {
  /** Unique in the plan. Matches `^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$`. */
  id: string;
  /**
   * Ids of the jobs that must succeed (and, with an integration stage, be integrated) before this
   * one starts. No cycles.
   *
   * @default []
   */
  dependsOn?: readonly string[];
  /**
   * The job's work. Declared as a method so that a function whose context names the outputs it
   * needs (`JobRunContext<Input, { build: … }>`) is accepted.
   */
  run(ctx: JobRunContext<Input>): ReturnType<JobRun<Input, Output>>;
  /** JSON value handed to `run` as `ctx.input`. */
  input?: Input;
  /**
   * How failed attempts are retried.
   *
   * @default the plan's `defaultRetry`, or one attempt
   */
  retry?: RetryPolicy;
  /**
   * Time limit of one attempt, in milliseconds; past it the attempt fails with kind `timeout` and
   * its `signal` is aborted. Without it, an attempt may run as long as it takes.
   *
   * Integer, 1 to 2,147,483,647.
   */
  timeoutMs?: number;
  /**
   * Higher starts first among ready jobs; ties go in declaration order. A job ranks by its own
   * priority plus the highest rank among the jobs that need it, so the jobs a high-priority job
   * waits for go first too (see the README's Priority section).
   *
   * Any finite number.
   *
   * @default 0
   */
  priority?: number;
  /**
   * Hold the job before its first attempt, in every mode, until a person approves: the plan
   * pauses at the `pre_run` checkpoint naming the job (nothing new starts meanwhile; running
   * jobs go on) until `APPROVE { checkpoint: 'pre_run', jobId }`, or `SKIP_JOB`. Asked once: a
   * retry or a restart does not ask again.
   *
   * @default false
   */
  requiresApproval?: boolean;
  /**
   * What a restore does with an attempt of this job that the process's stop cut off.
   *
   * @default the plan's `onInterrupt`
   */
  onInterrupt?: InterruptPolicy;
  /** Checks a successful result; violations fail the job with kind `verification`. */
  verify?: (
    output: Output,
    ctx: { jobId: string; attempt: number },
  ) => VerifyResult | Promise<VerifyResult>;
}

/** What integration hooks and `finalize` receive besides their subject. */
export interface HookContext {
  /** The plan's id. */
  readonly planId: string;
  /** Aborted when the plan is canceled (or, for `check`, at `checkTimeoutMs`). */
  readonly signal: AbortSignal;
}

/** The job an integration hook acts on. */
export interface IntegrationSubject<Output = unknown> {
  /** The job's id. */
  readonly jobId: string;
  /** `<jobId>@<n>`: the n-th integration of this job; an idempotency key for the hooks. */
  readonly integrationId: string;
  /** The job's output. */
  readonly output: Output;
}

/** `integrate` may report that there was nothing to integrate; that counts as integrated. */
export type IntegrateResult = { changed: boolean } | undefined;

/**
 * The serial integration stage (a merge train). After a job's work succeeds it waits for its
 * turn; one job integrates at a time, and its dependents start only once it is integrated.
 */
export interface IntegrationSpec {
  /** Brings the job's result in. A throw fails the job with kind `integration_conflict`. */
  integrate: (
    job: IntegrationSubject,
    ctx: HookContext,
  ) => Promise<IntegrateResult | undefined> | IntegrateResult | undefined;
  /**
   * Checks the integrated state (e.g. runs the tests). A throw, `false` or a timeout rolls the
   * integration back and fails the job with kind `check_failed`.
   */
  check?: (
    job: IntegrationSubject,
    ctx: HookContext,
  ) => Promise<boolean | undefined> | boolean | undefined;
  /** Undoes an integration whose check failed, before anything else integrates. */
  rollback?: (job: IntegrationSubject, ctx: HookContext) => Promise<void> | undefined;
  /**
   * `completion`: jobs integrate in the order they finish; `strict`: in plan order, each waiting
   * for the ones before it (a job that failed for good is passed over).
   *
   * @default 'completion'
   */
  order?: 'strict' | 'completion';
  /**
   * Time limit of one `check`, in milliseconds; past it the check counts as failed. Without it,
   * a check may run as long as it takes.
   *
   * Integer, 1 to 2,147,483,647.
   */
  checkTimeoutMs?: number;
}

/**
 * Who steers the plan: `autopilot` runs it through; `copilot` waits for `APPROVE` before anything
 * runs; `supervisor` also stops before each integration, before `finalize` and after `ADD_JOB`.
 */
export type PlanMode = 'autopilot' | 'copilot' | 'supervisor';
/**
 * What a job that failed for good does to the plan: `pause` at the `on_error` checkpoint for a
 * person to decide, `fail` the plan at once, or `continue` with every job that can still succeed
 * (the plan then ends `failed`).
 */
export type FailurePolicy = 'pause' | 'fail' | 'continue';
/**
 * What a skipped job means to its dependents: `block` makes them `blocked`; `release` counts the
 * skipped job as done so they may run.
 */
export type SkipPolicy = 'block' | 'release';

/** A plan: its jobs with their dependencies, how many run at once, and who steers it. */
export interface PlanSpec {
  /** Same grammar as a job id: `^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$`. */
  id: string;
  /** A name for people; shown by the inspector and the command line. */
  name?: string;
  /** @default 'autopilot' */
  mode?: PlanMode;
  /**
   * Jobs running at once (a job waiting out a retry delay keeps its slot).
   *
   * Integer, 1 to 1,000,000.
   *
   * @default 4
   */
  maxParallel?: number;
  /**
   * What a job failure does to the plan.
   *
   * @default `'fail'` in `autopilot` (nobody would answer a pause), `'pause'` in `copilot` and
   * `supervisor`
   */
  onJobFailure?: FailurePolicy;
  /** @default 'block' */
  onSkip?: SkipPolicy;
  /**
   * `onInterrupt` of every job that has none of its own.
   *
   * @default `'rerun'` (at least once)
   */
  onInterrupt?: InterruptPolicy;
  /** Retry policy of every job that has none of its own. Without it, such a job gets one attempt. */
  defaultRetry?: RetryPolicy;
  /** A serial integration stage (a merge train). */
  integration?: IntegrationSpec;
  /**
   * Runs once after every job succeeded (e.g. opens the pull request). A failure pauses the plan
   * at `on_error` (policy `pause`; `RETRY_FINALIZE` runs it again) or fails it.
   */
  finalize?: (summary: PlanSummary, ctx: HookContext) => Promise<unknown> | unknown;
  /**
   * The jobs, in declaration order (which breaks ties of `priority`). May be empty.
   *
   * At most `PLAN_LIMITS.jobs` (100,000), with at most `PLAN_LIMITS.edges` (1,000,000)
   * `dependsOn` entries in all.
   */
  jobs: readonly JobSpec[];
}

export const DEFAULT_MAX_PARALLEL = 4;
export const MAX_MAX_PARALLEL = 1_000_000;
