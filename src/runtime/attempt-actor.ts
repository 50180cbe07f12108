import { isObservable, type Subscription } from 'rxjs';
import { fromCallback, fromPromise } from 'xstate';
import { toErrorInfo } from '../../machines/errors.js';
import type {
  AbortWhy,
  AttemptAbortEvent,
  AttemptEvent,
  AttemptInput,
  JobToPlanEvent,
} from '../../machines/job.machine.js';
import { unstorablePart } from '../persistence/storable.js';
import type { JobSpec, VerifyResult } from '../plan/types.js';
import { JobAbortedError, JobTimeoutError, NonRetryableError } from './errors.js';

/** Where the outcome of an attempt goes once its job actor no longer listens. */
export type LateResultSink = (event: JobToPlanEvent) => void;

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
  return {
    type: 'ATTEMPT.FAILED',
    error: toErrorInfo(error),
    retryable: !(error instanceof NonRetryableError),
  };
}

function toPlanEvent(input: AttemptInput, event: AttemptEvent): JobToPlanEvent {
  const ids = { jobId: input.jobId, attemptId: input.attemptId };
  if (event.type === 'ATTEMPT.SUCCEEDED')
    return { type: 'JOB_COMPLETED', ...ids, output: event.output };
  if (event.type === 'ATTEMPT.PROGRESS')
    return { type: 'JOB_PROGRESS', ...ids, progress: event.progress };
  return { type: 'JOB_FAILED', ...ids, error: event.error, kind: 'job_failed', willRetry: false };
}

/**
 * The actor that runs one attempt of a job's `run`. It is the only place user code starts, and
 * it turns every way that code can end (value, rejection, synchronous throw, Observable error or
 * completion) into one event for the job. A result that arrives after the attempt was stopped
 * (timeout, skip, cancel) goes to `late`, so the plan can record it as ignored.
 */
export function createAttemptLogic(
  jobOf: (jobId: string) => JobSpec,
  late: LateResultSink,
  tracker: AttemptTracker,
  /** With a store, outputs and progress must be plain JSON data. */
  storable: boolean,
) {
  return fromCallback<AttemptAbortEvent, AttemptInput>(({ input, sendBack, receive }) => {
    const spec = jobOf(input.jobId);
    const controller = new AbortController();
    let settled = false;
    let stopped = false;
    let subscription: Subscription | undefined;

    const finish = (event: AttemptEvent) => {
      if (settled) return;
      settled = true;
      if (stopped) late(toPlanEvent(input, event));
      else sendBack(event);
      tracker.ended();
    };
    tracker.started();
    receive((event) => controller.abort(abortReason(input, event.why, event.detail)));

    const report = (progress: unknown) => {
      if (settled || stopped) return;
      const problem = storable ? unstorablePart(progress, 'progress') : null;
      sendBack({
        type: 'ATTEMPT.PROGRESS',
        progress: problem ? `[progress not stored: ${problem}]` : progress,
      });
    };
    const succeed = (output: unknown) => {
      const problem = storable ? unstorablePart(output, 'output') : null;
      if (!problem) return finish({ type: 'ATTEMPT.SUCCEEDED', output });
      // The same code would return the same output: trying again cannot help.
      const message = `Job "${input.jobId}" returned an output that cannot be stored: ${problem}; return plain JSON data`;
      finish(failed(new NonRetryableError(message)));
    };
    try {
      const result = spec.run({
        jobId: input.jobId,
        attempt: input.attempt,
        attemptId: input.attemptId,
        input: spec.input,
        signal: controller.signal,
        report,
      });
      if (isObservable(result)) {
        let last: unknown;
        subscription = result.subscribe({
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

    return () => {
      stopped = true;
      subscription?.unsubscribe();
      if (!settled && !controller.signal.aborted) {
        controller.abort(new JobAbortedError(input.jobId, 'canceled'));
      }
    };
  });
}

function toViolations(result: VerifyResult): string[] {
  if (Array.isArray(result)) return result.map(String);
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
