import type { JobRun } from '../plan/types.js';
import { SHELL_HANDLER } from '../remote/protocol.js';
import type { RemoteWork } from '../remote/queued-plan.js';
import type { Handler } from '../remote/worker.js';
import { type ShellWork, shellJob, shellWorkOf } from './shell-job.js';

/**
 * Runs a plan file's shell job on a worker, exactly as the coordinator would locally: its own
 * process group, SIGTERM then SIGKILL after the grace when stopped, every output line reported.
 * A stopped attempt ends once its process group is gone.
 */
export const shellHandler: Handler = (ctx) => {
  const work = ctx.input as ShellWork;
  // The worker takes its next attempt only once the stopped one's processes are gone.
  return shellJob(work.run, work.cwd, { killGraceMs: work.killGraceMs, settleOnExit: true })(ctx);
};

/** A plan file's shell job as work for the queue's workers; undefined for any other `run`. */
export function shellWork(run: JobRun): RemoteWork | undefined {
  const shell = shellWorkOf(run);
  if (!shell) return undefined;
  // The worker sees the secrets it runs with; what comes back is redacted as a local job's is.
  const redact = (value: unknown): unknown =>
    typeof value === 'string'
      ? shell.redact(value)
      : Array.isArray(value)
        ? value.map(redact)
        : value && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redact(item)]))
          : value;
  return { handler: SHELL_HANDLER, inputOf: shell.workOf, redact };
}
