/** A retry policy with every default filled in (see `RetryPolicy` in src/plan/types.ts). */
export interface ResolvedRetry {
  maxAttempts: number;
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  jitter: number;
}

export const NO_RETRY: ResolvedRetry = {
  maxAttempts: 1,
  initialDelayMs: 0,
  factor: 1,
  maxDelayMs: 0,
  jitter: 0,
};

/**
 * Delay before the attempt after failed attempt number `failedIndex` (0 for the first attempt of
 * the current budget). Jitter is derived from the attempt id instead of `Math.random`, so a
 * replayed or resumed plan waits exactly as long as the original run did.
 */
export function backoffDelay(retry: ResolvedRetry, failedIndex: number, attemptId: string): number {
  const base = Math.min(retry.maxDelayMs, retry.initialDelayMs * retry.factor ** failedIndex);
  if (retry.jitter === 0) return base;
  return Math.round(base * (1 - retry.jitter * unitHash(attemptId)));
}

/** FNV-1a of the string, scaled to [0, 1). */
function unitHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) / 2 ** 32;
}

export function attemptIdOf(jobId: string, attempt: number): string {
  return `${jobId}#${attempt}`;
}
