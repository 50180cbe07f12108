import { rangeProblem } from '../plan/range.js';
import { describeValue } from '../plan/validate.js';
import { RemoteAttemptError } from '../shared/errors.js';

/** Bounds of a worker's options, as documented on `WorkerOptions`. */
const BOUNDS = {
  concurrency: [1, 10_000],
  lockDurationMs: [1_000, 600_000],
  stalledIntervalMs: [1_000, 600_000],
  maxStalledCount: [0, 100],
} as const;

/** Refuses a worker option out of bounds, naming it, its value and the bounds. */
export function checkWorkerOptions(
  options: Partial<Record<keyof typeof BOUNDS, unknown>> & {
    queue?: unknown;
    handlers?: unknown;
  },
): void {
  if (typeof options.queue !== 'string' || options.queue === '' || options.queue.includes(':')) {
    throw new RemoteAttemptError(
      'QUEUE_OPTION',
      `queue must be a non-empty name without ":"; got ${describeValue(options.queue)}`,
    );
  }
  if (options.handlers === null || typeof options.handlers !== 'object') {
    throw new RemoteAttemptError(
      'QUEUE_OPTION',
      `handlers must map handler names to functions, e.g. { resize }; got ${describeValue(options.handlers)}`,
    );
  }
  for (const [key, [min, max]] of Object.entries(BOUNDS)) {
    const value = options[key as keyof typeof BOUNDS];
    if (value === undefined) continue;
    const problem = rangeProblem(
      `Worker option ${key}`,
      value,
      { integer: true, min, max },
      { show: describeValue, optional: true },
    );
    if (problem) throw new RemoteAttemptError('QUEUE_OPTION', problem);
  }
}
