/**
 * Where an attempt sent to a queue stands travels as progress of the attempt (a `job-progress`
 * record), so that it is journaled, restored and streamed like any progress without a record
 * type of its own: the worker that took it names itself in its first report, and the coordinator
 * reports, for an attempt no worker took yet, that nobody serves the queue. The keys are ones no
 * job's own progress is expected to use.
 */
const WORKER_KEY = 'plan-orchestrator:worker';
const NO_WORKER_KEY = 'plan-orchestrator:no-worker';

/** The progress a worker reports when it takes an attempt. */
export function placementProgress(worker: string): Record<string, string> {
  return { [WORKER_KEY]: worker };
}

/** The progress of an attempt waiting on a queue that has had no worker for `seconds`. */
export function noWorkerProgress(queue: string, seconds: number): Record<string, string> {
  return { [NO_WORKER_KEY]: noWorkerText(queue, seconds) };
}

/** "no worker on queue NAME seen for N s". */
export function noWorkerText(queue: string, seconds: number): string {
  return `no worker on queue ${queue} seen for ${seconds} s`;
}

/** The worker a progress report names, when it is a worker's placement report. */
export function workerOf(progress: unknown): string | undefined {
  return field(progress, WORKER_KEY);
}

/** Why the attempt waits on its queue, when the report is the coordinator's "no worker" one. */
export function noWorkerOf(progress: unknown): string | undefined {
  return field(progress, NO_WORKER_KEY);
}

/** Whether a progress report is about where the attempt stands on its queue. */
export function isPlacement(progress: unknown): boolean {
  return workerOf(progress) !== undefined || noWorkerOf(progress) !== undefined;
}

function field(progress: unknown, key: string): string | undefined {
  if (typeof progress !== 'object' || progress === null) return undefined;
  const value = (progress as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

/** Where a job's latest attempt stands on its queue, as progress reports tell it. */
export interface Placement {
  /** The worker that took it. */
  worker?: string;
  /** While no worker took it: "no worker on queue NAME seen for N s". */
  waiting?: string;
}

/** `placement` moved on by one progress report (which may be about something else). */
export function notePlacement(placement: Placement, progress: unknown): void {
  const worker = workerOf(progress);
  if (worker !== undefined) {
    placement.worker = worker;
    delete placement.waiting;
    return;
  }
  const waiting = noWorkerOf(progress);
  if (waiting !== undefined && placement.worker === undefined) placement.waiting = waiting;
}
