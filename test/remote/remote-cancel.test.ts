import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { node, planFile, stillRunning } from '../cli/jobs.js';
import { cli } from '../cli/run-cli.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { startWorker, type WorkerProcess } from './workers.js';

let server: RedisServer;
let dir: string;
let pidFile: string;
let worker: WorkerProcess;
beforeEach(async () => {
  server = await startRedisServer({ durable: false });
  dir = await mkdtemp(join(tmpdir(), 'remote-cancel-'));
  pidFile = join(dir, 'pid');
  worker = await startWorker(server.url, 'q', 'w1');
});
afterEach(async () => {
  (await worker.child).kill('SIGKILL');
  await worker.exited;
  if (existsSync(pidFile) && stillRunning(pidFile)) {
    process.kill(-Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
  }
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A job that writes its pid, starts a child in its group, prints "ready" and runs until stopped. */
const runsUntilStopped = () =>
  node(
    `require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); console.log('ready'); setInterval(() => {}, 1000)`,
  );

/** Runs a one-job plan on the worker, and calls `stop` once the job's process is running. */
async function runAndStop(planId: string, job: object, stop: () => Promise<unknown> | undefined) {
  const file = await planFile(dir, 'plan.json', {
    id: planId,
    jobs: [{ id: 'slow', run: runsUntilStopped(), ...job }],
  });
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const run = cli(['run', file, '--redis', server.url, '--queue', 'q', '--reporter', 'plain'], {
    onLine: (line) => {
      if (line.includes('slow | ready')) ready();
    },
  });
  await isReady;
  expect(stillRunning(pidFile)).toBe(true);
  await stop();
  const result = await run;
  // The worker reports the attempt failed once the job's process group is gone.
  await worker.line(new RegExp(`^failed ${planId} slow#1$`));
  return result;
}

describe('stopping an attempt that runs on a worker', () => {
  it('SKIP_JOB stops the job on the worker: its process is gone', async () => {
    const result = await runAndStop('skipped', {}, () =>
      cli(['skip', 'slow', '--redis', server.url, '--plan', 'skipped']),
    );
    expect(result.stdout).toMatch(/slow: skipped/);
    expect(stillRunning(pidFile)).toBe(false);
  });

  it('CANCEL stops the job on the worker: its process is gone', async () => {
    const result = await runAndStop('canceled', {}, () =>
      cli(['cancel', '--redis', server.url, '--plan', 'canceled']),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/plan canceled/);
    expect(stillRunning(pidFile)).toBe(false);
  });

  it('a timeout stops the job on the worker: its process is gone and the job fails with kind timeout', async () => {
    const result = await runAndStop('timed', { timeoutMs: 1500 }, async () => undefined);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/slow: failed \(timeout\)/);
    expect(stillRunning(pidFile)).toBe(false);
  });
});
