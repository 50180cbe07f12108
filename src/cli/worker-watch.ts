import type { AttemptQueue } from '../remote/attempt-queue.js';
import { noWorkerText } from '../shared/placement.js';

/** How often the coordinator looks for workers on its queue. */
const CHECK_MS = 5_000;

/**
 * Tells that nobody serves the plan's queue, "no worker on queue NAME seen for N s", after 5 s
 * without one and then each time that time has doubled: on stderr, and as progress of the
 * attempts waiting in the queue, which the view and `status` then show `queued`, saying why.
 * Returns a function that stops watching.
 */
export function watchForWorkers(
  attempts: AttemptQueue,
  write: (text: string) => void,
  checkMs = CHECK_MS,
): () => void {
  let missingSince: number | null = null;
  let nextNotice = checkMs;
  const timer = setInterval(() => {
    attempts.workerCount().then(
      (count) => {
        const now = Date.now();
        if (count > 0) {
          missingSince = null;
          nextNotice = checkMs;
          return;
        }
        missingSince ??= now - checkMs;
        const missing = now - missingSince;
        if (missing < nextNotice) return;
        nextNotice *= 2;
        const seconds = Math.round(missing / 1000);
        attempts.tellNoWorker(seconds);
        write(`${noWorkerText(attempts.name, seconds)}\n`);
      },
      () => undefined, // Redis away: the store reports that
    );
  }, checkMs);
  timer.unref();
  return () => clearInterval(timer);
}
