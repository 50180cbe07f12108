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
  | 'check_failed'
  /** The process stopped while the attempt ran, and the job's `onInterrupt` is `hold`. */
  | 'interrupted';

/** Describes anything thrown, keeping a string `code` when the error has one. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return {
    name: 'Error',
    message: typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error)),
  };
}
