import type { ErrorInfo } from '../../machines/errors.js';

/**
 * The version of what a coordinator and a worker say to each other through the queue: the job
 * data, the failure shape and the cancel messages. A worker refuses a job of another version
 * instead of guessing what it means.
 */
export const PROTOCOL_VERSION = 1;

/** The handler a worker of the command line registers for the plan file's shell jobs. */
export const SHELL_HANDLER = 'shell';

/** What one BullMQ job carries: one attempt of one job of one plan. */
export interface AttemptJobData {
  protocol: number;
  planId: string;
  jobId: string;
  attempt: number;
  attemptId: string;
  handler: string;
  input: unknown;
  /** The outputs of the job's dependencies (`ctx.needs`), by job id. */
  needs?: Record<string, unknown>;
}

/**
 * The BullMQ job id of an attempt: the same attempt always gets the same id, so adding it again
 * (a coordinator that restarted) is a no-op. BullMQ refuses ids with `:`; plan and job ids have none.
 */
export function queueJobIdOf(runKey: string, attemptId: string): string {
  return `${runKey}.${attemptId}`;
}

/** The Redis channel on which cancel requests for the attempts of a queue are published. */
export function cancelChannelOf(prefix: string, queue: string): string {
  return `${prefix}:${queue}:plan-orchestrator:cancel`;
}

export interface CancelMessage {
  queueJobId: string;
  reason: ErrorInfo;
}

/**
 * How an attempt that failed on a worker travels back as BullMQ's `failedReason` (a string): the
 * error as JSON with whether trying again may help, after a marker, so that BullMQ's own
 * failures (a job stalled too often) are told apart.
 */
const FAILURE_MARKER = 'plan-orchestrator:';

export interface RemoteFailure {
  error: ErrorInfo;
  retryable: boolean;
}

export function encodeFailure(failure: RemoteFailure): string {
  return `${FAILURE_MARKER}${JSON.stringify(failure)}`;
}

export function decodeFailure(failedReason: string): RemoteFailure | null {
  if (!failedReason.startsWith(FAILURE_MARKER)) return null;
  try {
    return JSON.parse(failedReason.slice(FAILURE_MARKER.length)) as RemoteFailure;
  } catch {
    return null;
  }
}
