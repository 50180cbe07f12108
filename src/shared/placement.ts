/**
 * Which worker took an attempt travels as the attempt's first progress report (a `job-progress`
 * record), so that it is journaled, restored and streamed like any progress without a record
 * type of its own. The key is one no job's own progress is expected to use.
 */
const WORKER_KEY = 'plan-orchestrator:worker';

/** The progress a worker reports when it takes an attempt. */
export function placementProgress(worker: string): Record<string, string> {
  return { [WORKER_KEY]: worker };
}

/** The worker a progress report names, when it is a worker's placement report. */
export function workerOf(progress: unknown): string | undefined {
  if (typeof progress !== 'object' || progress === null) return undefined;
  const worker = (progress as Record<string, unknown>)[WORKER_KEY];
  return typeof worker === 'string' ? worker : undefined;
}
