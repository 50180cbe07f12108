import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { node, planFile, stillRunning } from '../cli/jobs.js';
import { cli } from '../cli/run-cli.js';
import { queueFixture, runUntil } from './queue-fixture.js';
import type { WorkerProcess } from './workers.js';

const t = queueFixture();
let pidFile: string;
let worker: WorkerProcess;
beforeEach(async () => {
  pidFile = join(t.dir, 'pid');
  worker = await t.worker('q', 'w1');
});
afterEach(() => {
  // Registered after the fixture's: runs first, while the folder is still there.
  if (existsSync(pidFile) && stillRunning(pidFile)) {
    process.kill(-Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
  }
});

/** A job that writes its pid, starts a child in its group, prints "ready" and runs until stopped. */
const runsUntilStopped = () =>
  node(
    `require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); console.log('ready'); setInterval(() => {}, 1000)`,
  );

/** Runs a one-job plan on the worker, and calls `stop` once the job's process is running. */
async function runAndStop(planId: string, job: object, stop: () => Promise<unknown> | undefined) {
  const file = await planFile(t.dir, 'plan.json', {
    id: planId,
    jobs: [{ id: 'slow', run: runsUntilStopped(), ...job }],
  });
  const { result: run, seen } = runUntil(
    ['run', file, '--redis', t.server.url, '--queue', 'q', '--reporter', 'plain'],
    'slow | ready',
  );
  await seen;
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
      cli(['skip', 'slow', '--redis', t.server.url, '--plan', 'skipped']),
    );
    expect(result.stdout).toMatch(/slow: skipped/);
    expect(stillRunning(pidFile)).toBe(false);
  });

  it('CANCEL stops the job on the worker: its process is gone', async () => {
    const result = await runAndStop('canceled', {}, () =>
      cli(['cancel', '--redis', t.server.url, '--plan', 'canceled']),
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
