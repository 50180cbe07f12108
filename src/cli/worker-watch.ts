import type { AttemptQueue } from '../remote/attempt-queue.js';

/** How often the coordinator looks for workers on its queue. */
const CHECK_MS = 5_000;

/**
 * Tells, on stderr, that nobody serves the plan's queue: "no worker on queue NAME seen for N s",
 * after 5 s without one and then each time that time has doubled, so that jobs shown `running`
 * but waiting in the queue are explained. Returns a function that stops watching.
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
        write(`no worker on queue ${attempts.name} seen for ${Math.round(missing / 1000)} s\n`);
      },
      () => undefined, // Redis away: the store reports that
    );
  }, checkMs);
  timer.unref();
  return () => clearInterval(timer);
}
