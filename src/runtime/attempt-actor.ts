import { isObservable, type Subscription } from 'rxjs';
import { type AnyActorRef, type AnyEventObject, fromPromise } from 'xstate';
import { toErrorInfo } from '../../machines/errors.js';
import {
  type AbortWhy,
  ATTEMPT_STATE,
  type AttemptEvent,
  type AttemptInput,
  type JobContext,
  type JobToPlanEvent,
  type jobMachine,
} from '../../machines/job.machine.js';
import { attemptIdOf } from '../../machines/retry.js';
import { renderValue } from '../../machines/safe-value.js';
import { unstorablePart } from '../persistence/storable.js';
import type { JobNeeds, JobSpec, VerifyResult } from '../plan/types.js';
import { JobAbortedError, JobTimeoutError, NonRetryableError } from '../shared/errors.js';
import { LazyAbort } from '../shared/lazy-abort.js';

/**
 * Where an attempt reports to the plan without its job actor: its progress (which changes no
 * state of the job's, so it skips the job actor's step), and a result that arrives once its job
 * actor no longer listens.
 */
export type PlanSink = (event: JobToPlanEvent) => void;

/** Counts attempts whose code has not ended yet. */
export interface AttemptTracker {
  started(): void;
  ended(): void;
}

function abortReason(input: AttemptInput, why: AbortWhy, detail?: string): Error {
  return why === 'timeout'
    ? new JobTimeoutError(input.jobId, input.attempt, input.timeoutMs ?? 0)
    : new JobAbortedError(input.jobId, why, detail);
}

function failed(error: unknown): AttemptEvent {
  const info = toErrorInfo(error);
  return {
    type: 'ATTEMPT_FAILED',
    error: info,
    retryable: !(error instanceof NonRetryableError),
    // A queue's attempt whose worker died: not the job's code failing, and told apart.
    ...(info.code === 'WORKER_LOST' ? { kind: 'worker_lost' as const } : {}),
  };
}

function toPlanEvent(input: AttemptInput, event: AttemptEvent): JobToPlanEvent {
  const ids = { jobId: input.jobId, attemptId: input.attemptId };
  if (event.type === 'ATTEMPT_SUCCEEDED')
    return { type: 'JOB_COMPLETED', ...ids, output: event.output };
  return { type: 'JOB_FAILED', ...ids, error: event.error, kind: 'job_failed', willRetry: false };
}

/** Why the event that ended the `running` state aborts the attempt, or null when it does not. */
function abortOf(event: AnyEventObject): { why: AbortWhy; detail?: string } | null {
  if (event.type === 'ATTEMPT_TIMED_OUT') return { why: 'timeout' };
  if (event.type === 'CANCEL') return { why: event.why, detail: event.detail };
  return null;
}

/**
 * One attempt under way: the runtime state that must not live in the machine's context. Its
 * `signal` is made when the job's code first reads it.
 */
class Run extends LazyAbort {
  settled = false;
  stopped = false;
  subscription: Subscription | undefined = undefined;

  constructor(readonly input: AttemptInput) {
    super();
  }
}

/**
 * Runs the attempts of jobs. An attempt runs inside its job actor, while the actor is in the
 * job machine's `running` state: the job actor's logic (see `withAttempts`) starts it as an
 * effect of entering `running` and aborts it as an effect of leaving it, never from an action.
 * Every way the job's code can end (value, rejection, synchronous throw, Observable error or
 * completion) becomes one event for the job. A result that arrives after the attempt was
 * stopped (timeout, skip, cancel) goes to `toPlan`, so the plan can record it as ignored; so
 * does progress, straight to the plan.
 */
export function createAttemptRunner(
  jobOf: (jobId: string) => JobSpec,
  toPlan: PlanSink,
  tracker: AttemptTracker,
  /** With a store, outputs and progress must be plain JSON data. */
  storable: boolean,
  /** The outputs of a job's dependencies, as the plan holds them now. */
  needsOf: (jobId: string) => JobNeeds,
) {
  const runs = new WeakMap<AnyActorRef, Run>();

  const begin = (self: AnyActorRef, context: JobContext) => {
    const input: AttemptInput = {
      jobId: context.jobId,
      attempt: context.attempt,
      attemptId: attemptIdOf(context.jobId, context.attempt),
      timeoutMs: context.timeoutMs,
    };
    const spec = jobOf(input.jobId);
    const run = new Run(input);
    runs.set(self, run);

    const finish = (event: AttemptEvent) => {
      if (run.settled) return;
      run.settled = true;
      if (run.stopped) toPlan(toPlanEvent(input, event));
      else self.send(event);
      tracker.ended();
    };
    tracker.started();

    const report = (progress: unknown) => {
      if (run.settled || run.stopped) return;
      const problem = storable ? unstorablePart(progress, 'progress') : null;
      toPlan({
        type: 'JOB_PROGRESS',
        jobId: input.jobId,
        attemptId: input.attemptId,
        progress: problem ? `[progress not stored: ${problem}]` : progress,
      });
    };
    const succeed = (output: unknown) => {
      const problem = storable ? unstorablePart(output, 'output') : null;
      if (!problem) return finish({ type: 'ATTEMPT_SUCCEEDED', output });
      // The same code would return the same output: trying again cannot help.
      const message = `Job "${input.jobId}" returned an output that cannot be stored: ${problem}; return plain JSON data`;
      finish(failed(new NonRetryableError(message)));
    };
    let needs: JobNeeds | undefined;
    try {
      const result = spec.run({
        jobId: input.jobId,
        attempt: input.attempt,
        attemptId: input.attemptId,
        input: spec.input,
        // Built when first read: most jobs never look at their dependencies' outputs.
        get needs() {
          needs ??= needsOf(input.jobId);
          return needs;
        },
        get signal() {
          return run.signal;
        },
        report,
      });
      if (isObservable(result)) {
        let last: unknown;
        run.subscription = result.subscribe({
          next: (value) => {
            last = value;
            report(value);
          },
          error: (error: unknown) => finish(failed(error)),
          complete: () => succeed(last),
        });
      } else {
        Promise.resolve(result).then(succeed, (error: unknown) => finish(failed(error)));
      }
    } catch (error) {
      // The runner could not even start (a synchronous throw): an ordinary failed attempt.
      finish(failed(error));
    }
  };

  /** The job left `running` because of `event` (or its actor stopped). */
  const end = (self: AnyActorRef, event: AnyEventObject) => {
    const run = runs.get(self);
    if (!run) return;
    runs.delete(self);
    const abort = run.settled ? null : abortOf(event);
    // First the reason, so that the job's code sees why its signal was aborted.
    if (abort) run.abort(abortReason(run.input, abort.why, abort.detail));
    run.stopped = true;
    run.subscription?.unsubscribe();
    if (!run.settled) run.abort(new JobAbortedError(run.input.jobId, 'canceled'));
  };

  return { begin, end };
}

export type AttemptRunner = ReturnType<typeof createAttemptRunner>;

type JobLogic = typeof jobMachine;

/**
 * The job machine as the logic of a job actor that runs its own attempts: the same statechart,
 * plus the effect of being in `running` (an attempt under way). Effects are deferred like
 * XState's own (an invoked child starts the same way), so they run once the actor's new snapshot
 * is in place, outside every action, guard and `assign`. No second actor per attempt.
 */
export function withAttempts(machine: JobLogic, runner: AttemptRunner): JobLogic {
  const logic: JobLogic = Object.create(machine);
  const running = (snapshot: ReturnType<JobLogic['transition']>) =>
    snapshot.status === 'active' && snapshot.value === ATTEMPT_STATE;
  logic.getInitialSnapshot = (scope, input) => {
    const snapshot = machine.getInitialSnapshot(scope, input);
    if (running(snapshot)) scope.defer(() => runner.begin(scope.self, snapshot.context));
    return snapshot;
  };
  logic.transition = (snapshot, event, scope) => {
    const next = machine.transition(snapshot, event, scope);
    const was = running(snapshot);
    const is = running(next);
    const same = was && is && next.context.attempt === snapshot.context.attempt;
    if (was && !same) scope.defer(() => runner.end(scope.self, event));
    if (is && !same) scope.defer(() => runner.begin(scope.self, next.context));
    return next;
  };
  return logic;
}

function toViolations(result: VerifyResult): string[] {
  // Rendered, not String()ed: a violation may be anything, even an object String() throws on.
  if (Array.isArray(result)) return result.map((v) => (typeof v === 'string' ? v : renderValue(v)));
  return result === false ? ['verify returned false'] : [];
}

/** Runs a job's `verify` on its output; resolves with the violations (none when accepted). */
export function createVerifyLogic(jobOf: (jobId: string) => JobSpec) {
  return fromPromise<string[], { jobId: string; attempt: number; output: unknown }>(
    async ({ input }) => {
      const verify = jobOf(input.jobId).verify;
      if (!verify) return [];
      return toViolations(
        await verify(input.output, { jobId: input.jobId, attempt: input.attempt }),
      );
    },
  );
}
