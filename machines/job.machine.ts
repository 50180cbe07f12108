import {
  assign,
  cancel,
  enqueueActions,
  fromPromise,
  StateMachine,
  sendParent,
  setup,
} from 'xstate';
import { type ErrorInfo, type FailureKind, toErrorInfo } from './errors.js';
import { attemptIdOf, backoffDelay, type ResolvedRetry } from './retry.js';

/**
 * One job's lifecycle: its attempts, the time limit of each, the backoff between them and the
 * verification of the result. The job reports every outcome to the plan through events; the
 * plan decides when each attempt may start (so a durable plan can record the start first).
 *
 * A job actor is a slot of the plan's: once its job has ended (`succeeded`, `failed` or
 * `canceled`, where it rests and shows how the job ended), `RUN` hands it the plan's next job,
 * so that an actor is created once per slot and not once per job. The job it runs is its
 * context's (`jobId`).
 *
 * An attempt is under way exactly while the job is in `running` (`ATTEMPT_STATE`). The machine
 * itself runs no code: the job actor's logic (src/runtime/attempt-actor.ts, `withAttempts`)
 * starts the attempt on entering `running`, aborts it on leaving `running` early (an
 * `ATTEMPT_TIMED_OUT`, a `CANCEL`, the actor stopped), and turns its outcome into an `ATTEMPT_*`
 * event for the job.
 */

/** The state in which an attempt runs. */
export const ATTEMPT_STATE = 'running';

export interface JobMachineInput {
  jobId: string;
  /** Number of the first attempt this actor runs (greater than 1 after `RETRY_JOB`). */
  firstAttempt: number;
  retry: ResolvedRetry;
  timeoutMs: number | null;
  verify: boolean;
  /** Set to check a kept result again (`RETRY_JOB { from: 'verify' }`) without running the job. */
  reverify?: { output: unknown };
  /** Set after a restart: wait this long (what was left of a retry delay) before the next attempt. */
  waitMs?: number;
}

/** What an attempt (the job's work) is about. */
export interface AttemptInput {
  jobId: string;
  attempt: number;
  attemptId: string;
  timeoutMs: number | null;
}

export type AbortWhy = 'timeout' | 'skipped' | 'canceled';

/** Events an attempt sends to its job. */
export type AttemptEvent =
  | { type: 'ATTEMPT_SUCCEEDED'; output: unknown }
  | {
      type: 'ATTEMPT_FAILED';
      error: ErrorInfo;
      retryable: boolean;
      /** Default `job_failed`: the job's code failed; `worker_lost`: the worker running it died. */
      kind?: 'job_failed' | 'worker_lost';
    };

/** Events the plan sends to a job. */
export type PlanToJobEvent =
  | { type: 'RUN'; job: JobMachineInput }
  | { type: 'START_ATTEMPT' }
  | { type: 'CANCEL'; why: 'skipped' | 'canceled'; detail?: string };

/** Events a job sends to the plan. Each carries the attempt it is about. */
export type JobToPlanEvent =
  /** An attempt's progress: sent to the plan by the attempt itself (no state of the job's changes). */
  | { type: 'JOB_PROGRESS'; jobId: string; attemptId: string; progress: unknown }
  | { type: 'JOB_VERIFYING'; jobId: string; attemptId: string }
  | { type: 'JOB_COMPLETED'; jobId: string; attemptId: string; output: unknown }
  | {
      type: 'JOB_FAILED';
      jobId: string;
      attemptId: string;
      error: ErrorInfo;
      kind: FailureKind;
      /** True when the job will try again after `retryInMs` on its own. */
      willRetry: boolean;
      retryInMs?: number;
      violations?: string[];
      /** The rejected result of a verification failure, so that `APPROVE` can accept it. */
      output?: unknown;
    }
  /** The backoff after a failed attempt is over; the job waits for `START_ATTEMPT`. */
  | { type: 'JOB_ATTEMPT_DUE'; jobId: string; attemptId: string; attempt: number };

export interface Failure {
  error: ErrorInfo;
  kind: FailureKind;
  retryable: boolean;
  violations?: string[];
}

export interface JobContext extends JobMachineInput {
  attempt: number;
  output: unknown;
  failure: Failure | null;
  retryInMs: number;
}

export type JobEvent =
  | AttemptEvent
  | PlanToJobEvent
  | { type: 'ATTEMPT_TIMED_OUT' }
  | { type: 'BACKOFF_DONE' }
  | { type: 'xstate.done.actor.verify'; output: string[] }
  | { type: 'xstate.error.actor.verify'; error: unknown };

const currentAttemptId = (c: JobContext) => attemptIdOf(c.jobId, c.attempt);

function failedEvent(context: JobContext, willRetry: boolean): JobOutcome {
  const failure = context.failure!;
  return {
    type: 'JOB_FAILED',
    jobId: context.jobId,
    attemptId: currentAttemptId(context),
    error: failure.error,
    kind: failure.kind,
    willRetry,
    ...(willRetry ? { retryInMs: context.retryInMs } : {}),
    ...(failure.violations ? { violations: failure.violations } : {}),
    ...(failure.kind === 'verification' ? { output: context.output } : {}),
  };
}

/** A job's last outcome, reported to the plan as the job comes to rest. */
export type JobOutcome = Extract<JobToPlanEvent, { type: 'JOB_COMPLETED' | 'JOB_FAILED' }>;

/**
 * The context of a job about to run: field by field, not `...input` (V8's object spread takes a
 * slow path here, and it was a fifth of the cost of starting a job).
 */
function contextOf(input: JobMachineInput): JobContext {
  return {
    jobId: input.jobId,
    firstAttempt: input.firstAttempt,
    retry: input.retry,
    timeoutMs: input.timeoutMs,
    verify: input.verify,
    reverify: input.reverify,
    waitMs: input.waitMs,
    attempt: input.firstAttempt,
    output: input.reverify?.output,
    failure: null,
    retryInMs: input.waitMs ?? 0,
  };
}

/** The plan's next job for this actor, begun where `starting` would begin it: in one step. */
const RUN_NEXT_JOB = {
  RUN: [
    { guard: 'rechecksOutput', target: 'verifying', actions: 'takeJob' },
    { guard: 'waitsFirst', target: 'backingOff', actions: 'takeJob' },
    { target: 'running', actions: 'takeJob' },
  ],
} as const;

/** One job's life: its attempts, retries with backoff, timeout and verification. Exported for visualisation. */
export const jobMachine = setup({
  types: {
    input: {} as JobMachineInput,
    context: {} as JobContext,
    events: {} as JobEvent,
  },
  actors: {
    // A placeholder so the machine can be drawn and inspected on its own; the orchestrator
    // provides the real implementation (src/runtime/attempt-actor.ts).
    verify: fromPromise<string[], { jobId: string; attempt: number; output: unknown }>(
      async () => [],
    ),
  },
  guards: {
    mayRetry: ({ context, event }) =>
      (event.type === 'ATTEMPT_TIMED_OUT' ||
        (event.type === 'ATTEMPT_FAILED' && event.retryable)) &&
      context.attempt < context.firstAttempt + context.retry.maxAttempts - 1,
    mustVerify: ({ context }) => context.verify,
    // Where a job handed over by `RUN` begins, as `starting` decides for the first one.
    rechecksOutput: ({ event }) => event.type === 'RUN' && event.job.reverify !== undefined,
    waitsFirst: ({ event }) => event.type === 'RUN' && event.job.waitMs !== undefined,
  },
  actions: {
    armTimeout: enqueueActions(({ context, enqueue }) => {
      if (context.timeoutMs !== null) {
        enqueue.raise({ type: 'ATTEMPT_TIMED_OUT' }, { id: 'timeout', delay: context.timeoutMs });
      }
    }),
    recordFailure: assign(({ context, event }) => {
      const failure: Failure =
        event.type === 'ATTEMPT_TIMED_OUT'
          ? {
              kind: 'timeout',
              retryable: true,
              error: {
                name: 'JobTimeoutError',
                code: 'JOB_TIMEOUT',
                message: `Job "${context.jobId}" attempt ${context.attempt} timed out after ${context.timeoutMs} ms`,
              },
            }
          : event.type === 'ATTEMPT_FAILED'
            ? { kind: event.kind ?? 'job_failed', retryable: event.retryable, error: event.error }
            : event.type === 'xstate.done.actor.verify'
              ? {
                  kind: 'verification',
                  retryable: false,
                  violations: event.output,
                  error: {
                    name: 'VerificationError',
                    code: 'JOB_VERIFICATION',
                    message: `Job "${context.jobId}" result failed verification: ${event.output.join('; ')}`,
                  },
                }
              : {
                  kind: 'verification',
                  retryable: false,
                  error: toErrorInfo(
                    event.type === 'xstate.error.actor.verify' ? event.error : event,
                  ),
                };
      const failedIndex = context.attempt - context.firstAttempt;
      return {
        failure,
        retryInMs: backoffDelay(context.retry, failedIndex, currentAttemptId(context)),
      };
    }),
    reportRetry: sendParent(({ context }) => failedEvent(context, true)),
    reportFailed: sendParent(({ context }) => failedEvent(context, false)),
    reportCompleted: sendParent(
      ({ context }): JobOutcome => ({
        type: 'JOB_COMPLETED',
        jobId: context.jobId,
        attemptId: currentAttemptId(context),
        output: context.output,
      }),
    ),
    takeJob: assign(({ event }) => contextOf((event as Extract<JobEvent, { type: 'RUN' }>).job)),
    scheduleBackoff: enqueueActions(({ context, enqueue }) => {
      enqueue.raise({ type: 'BACKOFF_DONE' }, { id: 'backoff', delay: context.retryInMs });
    }),
    reportAttemptDue: sendParent(({ context }) => ({
      type: 'JOB_ATTEMPT_DUE' as const,
      jobId: context.jobId,
      attemptId: attemptIdOf(context.jobId, context.attempt + 1),
      attempt: context.attempt + 1,
    })),
    nextAttempt: assign({ attempt: ({ context }) => context.attempt + 1, failure: null }),
    keepOutput: assign({
      output: ({ event }) => (event.type === 'ATTEMPT_SUCCEEDED' ? event.output : undefined),
    }),
    reportVerifying: sendParent(({ context }) => ({
      type: 'JOB_VERIFYING' as const,
      jobId: context.jobId,
      attemptId: currentAttemptId(context),
    })),
  },
}).createMachine({
  id: 'job',
  context: ({ input }) => contextOf(input),
  initial: 'starting',
  states: {
    starting: {
      always: [
        { guard: ({ context }) => context.reverify !== undefined, target: 'verifying' },
        { guard: ({ context }) => context.waitMs !== undefined, target: 'backingOff' },
        { target: 'running' },
      ],
    },
    // The attempt runs while the job is here (see ATTEMPT_STATE); leaving on ATTEMPT_TIMED_OUT or
    // CANCEL aborts it, with that reason. The plan knows when a job enters `running` (it sent
    // RUN or START_ATTEMPT) and records it then: the job does not report it.
    running: {
      entry: 'armTimeout',
      // The delayed ATTEMPT_TIMED_OUT is raised by id, so it must be withdrawn by id when the
      // attempt ends.
      exit: cancel('timeout'),
      on: {
        ATTEMPT_SUCCEEDED: [
          { guard: 'mustVerify', target: 'verifying', actions: 'keepOutput' },
          { target: 'succeeded', actions: 'keepOutput' },
        ],
        ATTEMPT_FAILED: [
          { guard: 'mayRetry', target: 'backingOff', actions: ['recordFailure', 'reportRetry'] },
          { target: 'failed', actions: 'recordFailure' },
        ],
        ATTEMPT_TIMED_OUT: [
          { guard: 'mayRetry', target: 'backingOff', actions: ['recordFailure', 'reportRetry'] },
          { target: 'failed', actions: 'recordFailure' },
        ],
        CANCEL: 'canceled',
      },
    },
    backingOff: {
      entry: 'scheduleBackoff',
      // Withdrawn when the job leaves early, so it never reaches the slot's next job.
      exit: cancel('backoff'),
      on: { BACKOFF_DONE: 'awaitingStart', CANCEL: 'canceled' },
    },
    awaitingStart: {
      entry: 'reportAttemptDue',
      on: { START_ATTEMPT: { target: 'running', actions: 'nextAttempt' }, CANCEL: 'canceled' },
    },
    verifying: {
      entry: 'reportVerifying',
      invoke: {
        id: 'verify',
        src: 'verify',
        input: ({ context }) => ({
          jobId: context.jobId,
          attempt: context.attempt,
          output: context.output,
        }),
        onDone: [
          { guard: ({ event }) => event.output.length === 0, target: 'succeeded' },
          { target: 'failed', actions: 'recordFailure' },
        ],
        onError: { target: 'failed', actions: 'recordFailure' },
      },
      on: { CANCEL: 'canceled' },
    },
    // Where the job ended, and where its actor waits for the plan's next job. A canceled job
    // reports nothing: the plan canceled it.
    succeeded: { entry: 'reportCompleted', on: RUN_NEXT_JOB },
    failed: { entry: 'reportFailed', on: RUN_NEXT_JOB },
    canceled: { on: RUN_NEXT_JOB },
  },
});

/**
 * The same statechart, with the same implementations, entered at `running`: for a job launched
 * to run its attempt at once (no kept result to verify, no delay to wait out), which is where
 * `starting` would lead it. It skips `starting`'s eventless step, about a third of the cost of a
 * job actor's initial state.
 */
export function enteredRunning(machine: typeof jobMachine): typeof jobMachine {
  const config = { ...machine.config, initial: ATTEMPT_STATE };
  return new StateMachine(config, machine.implementations) as unknown as typeof jobMachine;
}

export const runningJobMachine = enteredRunning(jobMachine);
