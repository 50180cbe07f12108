import type { PlanRecord } from '../../machines/plan/records.js';

/** Whether records of type `T` always name a job (`jobId`). */
type NamesJob<T extends PlanRecord['type']> =
  Extract<PlanRecord, { type: T }> extends { jobId: string } ? true : false;

/**
 * Every record type a journal may hold, and whether it names a job. TypeScript checks this list
 * against the `PlanRecord` union both ways (`satisfies` refuses a missing and an extra type, and a
 * wrong "names a job"), so a new record type cannot be forgotten here, and a journal line of an
 * unknown type, or without the job it must name, is refused on restore.
 */
const KNOWN = {
  'plan-started': false,
  'job-queued': true,
  'attempt-started': true,
  'attempt-running': true,
  'job-progress': true,
  'job-verifying': true,
  'verify-started': true,
  'job-ran': true,
  'integration-started': true,
  'job-integrated': true,
  'integration-requeued': true,
  'attempt-failed': true,
  'attempt-due': true,
  'attempt-interrupted': true,
  'integration-interrupted': true,
  'plan-restored': false,
  'persistence-failed': false,
  'subscriber-failed': false,
  'job-succeeded': true,
  'job-failed': true,
  'job-added': true,
  'change-proposed': true,
  approved: false,
  'job-blocked': true,
  'job-unblocked': true,
  'job-skipped': true,
  'job-canceled': true,
  'result-ignored': true,
  'command-accepted': false,
  'command-rejected': false,
  'plan-paused': false,
  'plan-resumed': false,
  'finalize-started': false,
  'finalize-failed': false,
  'finalize-succeeded': false,
  'plan-completed': false,
  'plan-failed': false,
  'plan-canceled': false,
} as const satisfies { [T in PlanRecord['type']]: NamesJob<T> };

export const RECORD_TYPES: ReadonlySet<string> = new Set(Object.keys(KNOWN));

/** The record types that always name a job. */
export const JOB_RECORD_TYPES: ReadonlySet<string> = new Set(
  Object.entries(KNOWN)
    .filter(([, namesJob]) => namesJob)
    .map(([type]) => type),
);
