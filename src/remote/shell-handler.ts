import { type ShellWork, shellJob } from '../cli/shell-job.js';
import type { Handler } from './worker.js';

/**
 * Runs a plan file's shell job on a worker, exactly as the coordinator would locally: its own
 * process group, SIGTERM then SIGKILL after the grace when stopped, every output line reported.
 * A stopped attempt ends once its process group is gone.
 */
export const shellHandler: Handler = (ctx) => {
  const work = ctx.input as ShellWork;
  // The worker takes its next attempt only once the stopped one's processes are gone.
  return shellJob(work.run, work.cwd, work.killGraceMs, undefined, true)(ctx);
};
