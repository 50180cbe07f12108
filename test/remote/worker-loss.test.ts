import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFile, stillRunning } from '../cli/jobs.js';
import { queueFixture, runUntil } from './queue-fixture.js';

/** Short locks and stall checks, so a dead worker is noticed in about a second. */
const FAST_STALL = ['--lock-ms', '1000', '--stalled-check-ms', '1000'];

const t = queueFixture();

/** Starts two workers, runs a one-job plan, and SIGKILLs the worker running the job. */
async function killWorkerMidJob(planId: string, workerFlags: string[], job: object = {}) {
  const workers = [await t.worker('q', 'w1', workerFlags), await t.worker('q', 'w2', workerFlags)];
  const file = await planFile(t.dir, 'plan.json', {
    id: planId,
    jobs: [{ id: 'slow', run: t.waitsForGo(), ...job }],
  });
  const { result, seen } = runUntil(
    ['run', file, '--redis', t.server.url, '--queue', 'q', '--reporter', 'jsonl'],
    '"line":"ready"',
  );
  // The job's process printed its first line: it runs on the worker that took it.
  await seen;
  const first = await Promise.race(
    workers.map((worker) => worker.line(/^started .* slow#1$/).then(() => worker)),
  );
  (await first.child).kill('SIGKILL');
  return { result, other: workers.find((worker) => worker !== first)! };
}

describe('a worker that dies mid-attempt', () => {
  it('has its attempt delivered to another worker by the stalled-job check, and the plan completes', async () => {
    const { result, other } = await killWorkerMidJob('redeliver', FAST_STALL);
    // The same attempt, at least once: BullMQ moved it back to wait and the other worker took it.
    await other.line(/^started redeliver slow#1$/);
    await writeFile(t.go, '');
    const ended = await result;
    expect(ended.code).toBe(0);
    // Two processes ran it; the first, on the killed worker, was stopped by that worker's job
    // launcher and did not run on beside the second.
    const pids = (await readFile(join(t.dir, 'runs.log'), 'utf8')).trimEnd().split('\n');
    expect(pids).toHaveLength(2);
    await writeFile(join(t.dir, 'first.pid'), pids[0]!);
    expect(stillRunning(join(t.dir, 'first.pid'))).toBe(false);
    expect(ended.stdout).not.toMatch(/"attempt-failed"/);
  });

  it('past the stall limit fails the attempt with kind worker_lost, and the retry policy runs it again', async () => {
    const { result, other } = await killWorkerMidJob(
      'lost',
      [...FAST_STALL, '--max-stalled', '0'],
      {
        retry: { maxAttempts: 2, initialDelayMs: 0 },
      },
    );
    await other.line(/^started lost slow#2$/);
    await writeFile(t.go, '');
    const ended = await result;
    expect(ended.code).toBe(0);
    const records = ended.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    const failed = records.find((record) => record.type === 'attempt-failed');
    expect(failed).toMatchObject({
      jobId: 'slow',
      attemptId: 'slow#1',
      kind: 'worker_lost',
      error: { code: 'WORKER_LOST' },
    });
    expect(failed.error.message).toMatch(/Attempt "slow#1" lost its worker on queue "q"/);
  });
});
