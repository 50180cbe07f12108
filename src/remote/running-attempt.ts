import type { JobRunContext } from '../plan/types.js';
import type { AttemptJobData } from './protocol.js';

/**
 * One attempt running on a worker. The `signal` its handler gets is made the first time the
 * handler reads it: handlers that finish at once often never do, and an `AbortController` per
 * attempt is a measurable part of a worker's cost per job. An attempt stopped before its signal
 * was read is remembered, so a signal read later is already aborted with the same reason.
 */
export class RunningAttempt {
  /** What the handler gets: a plain object (spread and destructured like a local job's). */
  readonly context: JobRunContext;
  #controller: AbortController | undefined;
  #stopped = false;
  #reason: unknown;

  constructor(data: AttemptJobData, send: (progress: unknown) => void) {
    const attempt = this;
    this.context = {
      jobId: data.jobId,
      attempt: data.attempt,
      attemptId: data.attemptId,
      input: data.input,
      needs: data.needs ?? {},
      get signal() {
        return attempt.signal;
      },
      report(progress) {
        if (!attempt.#stopped) send(progress);
      },
    };
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#stopped) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Why the attempt was stopped, if it was. */
  get stopReason(): unknown {
    return this.#reason;
  }

  /** Aborts the attempt's signal with `reason`; the first stop wins, as with `AbortController`. */
  stop(reason: unknown): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
