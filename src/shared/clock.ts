/**
 * Time as the orchestrator sees it: XState schedules timeouts and retry delays through
 * `setTimeout`/`clearTimeout`, and records are stamped with `now()`. Tests pass a simulated
 * clock (see `plan-orchestrator/testing`).
 */
export interface Clock {
  /** Milliseconds; the records' `at`. */
  now(): number;
  /** Calls `fn` once, `timeoutMs` later; returns an id for `clearTimeout`. */
  setTimeout(fn: (...args: unknown[]) => void, timeoutMs: number): unknown;
  /** Cancels a timer `setTimeout` returned. */
  clearTimeout(id: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, timeoutMs) => setTimeout(fn, timeoutMs),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};
