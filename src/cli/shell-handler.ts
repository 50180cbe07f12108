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
  const inputOf = shellWorkOf(run);
  return inputOf && { handler: SHELL_HANDLER, inputOf };
}
