import type { PlanRecord } from '../../machines/plan/records.js';

/**
 * Every record type a journal may hold. TypeScript checks this list against the `PlanRecord`
 * union both ways (`satisfies` refuses a missing and an extra type), so a new record type cannot
 * be forgotten here and a journal line of an unknown type is refused on restore.
 */
const KNOWN = {
  'plan-started': true,
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
  'plan-restored': true,
  'persistence-failed': true,
  'job-succeeded': true,
  'job-failed': true,
  'job-added': true,
  'change-proposed': true,
  approved: true,
  'job-blocked': true,
  'job-unblocked': true,
  'job-skipped': true,
  'job-canceled': true,
  'result-ignored': true,
  'command-accepted': true,
  'command-rejected': true,
  'plan-paused': true,
  'plan-resumed': true,
  'finalize-started': true,
  'finalize-failed': true,
  'finalize-succeeded': true,
  'plan-completed': true,
  'plan-failed': true,
  'plan-canceled': true,
} as const satisfies Record<PlanRecord['type'], true>;

export const RECORD_TYPES: ReadonlySet<string> = new Set(Object.keys(KNOWN));
