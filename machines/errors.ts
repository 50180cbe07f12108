import { guarded, type JsonValue, renderValue, toJsonSafe } from './safe-value.js';

/** A serializable description of an error, as it travels in events and the journal. */
export interface ErrorInfo {
  name: string;
  message: string;
  /** The error's `code` when it is a string (`ENOENT`, `JOB_TIMEOUT`, …). */
  code?: string;
  /**
   * The other fields of what was thrown, as JSON data: `{ code: 42 }` thrown stays
   * `{ code: 42 }` here. BigInts become `"10n"`, cycles `"[Circular]"`. Absent when there are none.
   */
  data?: { [key: string]: JsonValue };
}

/** Why an attempt or job failed. */
export type FailureKind =
  | 'job_failed'
  | 'timeout'
  | 'verification'
  | 'integration_conflict'
  | 'check_failed'
  /** The process stopped while the attempt ran, and the job's `onInterrupt` is `hold`. */
  | 'interrupted'
  /** The worker running the attempt on a queue died (or stopped answering) past the stall limit. */
  | 'worker_lost';

/** Fields an ErrorInfo carries on its own, or that only repeat them. */
const OWN_FIELDS = new Set(['name', 'message', 'stack']);

/**
 * Describes anything thrown or rejected, and never throws itself: an Error (or an object that
 * looks like one, from another realm) keeps its name, message and string `code`; anything else
 * becomes an `Error` whose message is a readable rendering of the value. The value's own fields
 * are kept as data.
 */
export function toErrorInfo(error: unknown): ErrorInfo {
  return guarded(() => describe(error), {
    name: 'Error',
    message: '[a value that cannot be read]',
  });
}

function describe(error: unknown): ErrorInfo {
  if (typeof error === 'string') return { name: 'Error', message: error };
  if (error === null || (typeof error !== 'object' && typeof error !== 'function')) {
    return { name: 'Error', message: renderValue(error) };
  }
  const record = error as Record<string, unknown>;
  const field = (key: string) => guarded(() => record[key], undefined);
  const isError = guarded(() => error instanceof Error, false);
  const name = field('name');
  const message = field('message');
  const code = field('code');
  const info: ErrorInfo = {
    name: typeof name === 'string' && (isError || name !== '') ? name : 'Error',
    message:
      typeof message === 'string'
        ? message
        : isError
          ? renderValue(message ?? '')
          : renderValue(error),
  };
  if (typeof code === 'string') info.code = code;
  const safe = toJsonSafe(error);
  if (safe !== null && typeof safe === 'object' && !Array.isArray(safe)) {
    const data = Object.fromEntries(
      Object.entries(safe).filter(
        ([key]) => !OWN_FIELDS.has(key) && !(key === 'code' && info.code),
      ),
    );
    if (Object.keys(data).length > 0) info.data = data;
  }
  return info;
}
