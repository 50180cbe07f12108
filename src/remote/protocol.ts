import type { ErrorInfo } from '../../machines/errors.js';

/**
 * The version of what a coordinator and a worker say to each other through the queue: the job
 * data, the failure shape, the cancel messages and the attempt reports. A worker refuses a job of
 * another version instead of guessing what it means. 2: progress and outcomes travel on the
 * queue's report stream (`reportStreamOf`) instead of BullMQ's events.
 */
export const PROTOCOL_VERSION = 2;

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

/**
 * The Redis stream on which the workers of a queue report their attempts to the coordinators:
 * each progress report (the first names the worker) and each outcome, once BullMQ has recorded
 * it. A worker appends the reports of one turn of its event loop as one entry (`REPORTS_FIELD`:
 * a JSON array of `[queueJobId, kind, value]`). BullMQ's job (its return value or failed reason)
 * stays the source of truth; the stream is the fast path, read in batches from a position the
 * coordinator keeps.
 */
export function reportStreamOf(prefix: string, queue: string): string {
  return `${prefix}:${queue}:plan-orchestrator:reports`;
}

/** The field of a report stream entry that holds its reports. */
export const REPORTS_FIELD = 'reports';

/** What a report says about its attempt. */
export const REPORT = { progress: 'p', completed: 'c', failed: 'f' } as const;
export type ReportKind = (typeof REPORT)[keyof typeof REPORT];

/** One report: the attempt's BullMQ job id, the kind, and the progress, output or failed reason. */
export type Report = [queueJobId: string, kind: ReportKind, value: unknown];

/** The reports of an entry's fields; none for an entry that is not ours. */
export function parseReports(fields: readonly string[]): Report[] {
  if (fields.length !== 2 || fields[0] !== REPORTS_FIELD) return [];
  try {
    const reports: unknown = JSON.parse(fields[1]!);
    return Array.isArray(reports) ? reports.filter(isReport) : [];
  } catch {
    return [];
  }
}

function isReport(report: unknown): report is Report {
  return (
    Array.isArray(report) &&
    report.length === 3 &&
    typeof report[0] === 'string' &&
    (report[1] === REPORT.progress || report[1] === REPORT.completed || report[1] === REPORT.failed)
  );
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
