import { SHELL_HANDLER } from '../remote/protocol.js';
import { createWorker, DEFAULT_CLOSE_GRACE_MS } from '../remote/worker.js';
import { startLauncher } from './job-launcher.js';
import { prepareOutputFolder } from './job-outputs.js';
import { EXIT, exitCodeOfSignal, out } from './output.js';
import type { RedisTarget } from './redis-url.js';
import { shellHandler } from './shell-handler.js';
import { killAllNow } from './shell-job.js';
import { onStopSignal } from './stop-signals.js';

export interface WorkerFlags {
  queue: string;
  concurrency?: number;
  name?: string;
  graceMs?: number;
  lockMs?: number;
  stalledCheckMs?: number;
  maxStalled?: number;
}

/**
 * `worker --redis URL --queue NAME`: runs the shell jobs of plans run with `--queue NAME`, on any
 * machine, until stopped. The first SIGINT/SIGTERM/SIGHUP stops taking attempts and lets the
 * running ones finish for `--grace-ms`; those still running then are stopped and handed back to
 * the queue (another worker runs them), and the command exits 0. A second signal kills every
 * running job's process group at once and exits 128 + the signal's number.
 */
export async function runWorker(target: RedisTarget, flags: WorkerFlags): Promise<number> {
  prepareOutputFolder();
  // Ready before the worker takes its first attempt, so that the attempt starts at once.
  await startLauncher();
  const worker = await createWorker({
    connection: target.url,
    queue: flags.queue,
    handlers: { [SHELL_HANDLER]: shellHandler },
    ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
    ...(flags.name ? { name: flags.name } : {}),
    ...(flags.lockMs ? { lockDurationMs: flags.lockMs } : {}),
    ...(flags.stalledCheckMs ? { stalledIntervalMs: flags.stalledCheckMs } : {}),
    ...(flags.maxStalled !== undefined ? { maxStalledCount: flags.maxStalled } : {}),
    onStart: (attempt) => out(`started ${attempt.planId} ${attempt.attemptId}\n`),
  });
  const bull = worker.worker;
  bull.on('completed', (job) => out(`completed ${job.data.planId} ${job.data.attemptId}\n`));
  bull.on('failed', (job) => {
    if (job) out(`failed ${job.data.planId} ${job.data.attemptId}\n`);
  });
  out(`worker ${worker.name} ready on queue ${flags.queue} at ${target.shown}\n`);

  return new Promise<number>((resolve) => {
    const remove = onStopSignal((signal, again) => {
      if (again) {
        process.stderr.write(`${signal} again: killing every running job at once\n`);
        killAllNow().finally(() => resolve(exitCodeOfSignal(signal)));
        return;
      }
      const grace = flags.graceMs ?? DEFAULT_CLOSE_GRACE_MS;
      process.stderr.write(
        `${signal}: taking no more attempts; the running ones have ${grace} ms to finish before they go back to the queue${signal === 'SIGPIPE' ? '' : ' (send it again to kill them at once)'}\n`,
      );
      worker.close(grace).then((handedBack) => {
        remove();
        out(`worker ${worker.name} stopped; ${handedBack} attempt(s) handed back\n`);
        resolve(EXIT.completed);
      });
    });
  });
}
