/**
 * How big a plan may be. Each limit keeps validation and a run's memory bounded (and, for shell
 * jobs, keeps `spawn` from failing with E2BIG at run time); past three quarters of a limit the
 * command line warns, so a growing plan learns of it before it is refused.
 */
export const PLAN_LIMITS = {
  /** Jobs in one plan (the benchmarks' largest plan). */
  jobs: 100_000,
  /** `dependsOn` entries of all jobs together. */
  edges: 1_000_000,
  /**
   * Bytes of a plan file; checked before it is read. Parsing YAML with positions costs about a
   * second of CPU and 150 MB of memory per MiB, so this keeps `validate` within seconds.
   */
  fileBytes: 4 * 1024 * 1024,
  /**
   * Bytes of one argument, the command of a `shell: true` job, or one `NAME=value` of its env:
   * Linux refuses a single string over 128 KiB (MAX_ARG_STRLEN), its terminating NUL included.
   */
  argumentBytes: 128 * 1024 - 1,
  /**
   * Bytes of a shell job's command, arguments and env together, as the kernel counts them (each
   * string with its NUL and an 8-byte pointer). Linux allows about 2 MiB for all of them and the
   * inherited environment; half of it is left to that environment.
   */
  commandLineBytes: 1024 * 1024,
} as const;

export type PlanLimit = keyof typeof PLAN_LIMITS;

/** Where a warning starts: three quarters of the limit. */
export const warnsAt = (limit: PlanLimit): number => Math.floor((PLAN_LIMITS[limit] * 3) / 4);

const count = (n: number): string => n.toLocaleString('en-US');

/** `1,234,567 bytes (1.2 MiB)`, for messages about sizes. */
export function bytes(n: number): string {
  const mib = n / (1024 * 1024);
  const kib = n / 1024;
  const short = mib >= 1 ? `${mib.toFixed(1)} MiB` : `${kib.toFixed(1)} KiB`;
  return `${count(n)} bytes (${short})`;
}

/**
 * Compares a measured size with its limit: null when well below, otherwise a message giving the
 * value and the limit, and whether it is over (an error) or close (a warning).
 */
export function checkLimit(
  limit: PlanLimit,
  value: number,
  what: string,
  fix: string,
): { over: boolean; message: string } | null {
  const max = PLAN_LIMITS[limit];
  const unit = limit === 'jobs' || limit === 'edges' ? count : bytes;
  if (value > max) {
    return { over: true, message: `${what} is ${unit(value)}; the limit is ${unit(max)}: ${fix}` };
  }
  if (value > warnsAt(limit)) {
    return {
      over: false,
      message: `${what} is ${unit(value)}, close to the limit of ${unit(max)}`,
    };
  }
  return null;
}
