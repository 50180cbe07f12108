/** A serializable description of an error, as it travels in events and the journal. */
export interface ErrorInfo {
  name: string;
  message: string;
  code?: string;
}

/** Why an attempt or job failed. */
export type FailureKind =
  | 'job_failed'
  | 'timeout'
  | 'verification'
  | 'integration_conflict'
  | 'check_failed';
