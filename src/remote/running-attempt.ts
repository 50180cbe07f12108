import type { JobRunContext } from '../plan/types.js';
import { LazyAbort } from '../shared/lazy-abort.js';
import type { AttemptJobData } from './protocol.js';

/**
 * One attempt running on a worker: its `signal` is made the first time its handler reads it
 * (handlers that finish at once often never do), and `abort` stops it.
 */
export class RunningAttempt extends LazyAbort {
  /** What the handler gets: a plain object (spread and destructured like a local job's). */
  readonly context: JobRunContext;

  constructor(data: AttemptJobData, send: (progress: unknown) => void) {
    super();
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
        if (!attempt.aborted) send(progress);
      },
    };
  }
}
