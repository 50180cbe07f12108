import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { node, planFile } from '../cli/jobs.js';
import { cli } from '../cli/run-cli.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { startWorker, type WorkerProcess } from './workers.js';

/** Short locks and stall checks, so a dead worker is noticed in about a second. */
const FAST_STALL = ['--lock-ms', '1000', '--stalled-check-ms', '1000'];

let server: RedisServer;
let dir: string;
let go: string;
const workers: WorkerProcess[] = [];
beforeEach(async () => {
  server = await startRedisServer({ durable: false });
  dir = await mkdtemp(join(tmpdir(), 'worker-loss-'));
  go = join(dir, 'go');
});
afterEach(async () => {
  await writeFile(go, '');
  for (const worker of workers.splice(0)) {
    (await worker.child).kill('SIGKILL');
    await worker.exited;
  }
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A shell job that logs a line, then waits until the file `go` exists. */
const waitsForGo = () =>
  node(
    `const fs = require('fs'); fs.appendFileSync(${JSON.stringify(join(dir, 'runs.log'))}, 'run\\n'); console.log('ready'); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)})) clearInterval(t) }, 20)`,
  );

/** Starts two workers, runs a one-job plan, and SIGKILLs the worker that took the job. */
async function killWorkerMidJob(planId: string, workerFlags: string[], plan: object = {}) {
  workers.push(await startWorker(server.url, 'q', 'w1', workerFlags));
  workers.push(await startWorker(server.url, 'q', 'w2', workerFlags));
  const file = await planFile(dir, 'plan.json', {
    id: planId,
    jobs: [{ id: 'slow', run: waitsForGo(), ...plan }],
  });
  let running!: () => void;
  const isRunning = new Promise<void>((resolve) => {
    running = resolve;
  });
  const run = cli(['run', file, '--redis', server.url, '--queue', 'q', '--reporter', 'jsonl'], {
    onLine: (line) => {
      if (line.includes('"type":"job-progress"')) running();
    },
  });
  // The job's process printed its first line: it runs on the worker that took it.
  await isRunning;
  const first = await Promise.race(
    workers.map((worker) => worker.line(/^started .* slow#1$/).then(() => worker)),
  );
  (await first.child).kill('SIGKILL');
  const other = workers.find((worker) => worker !== first)!;
  return { run, other };
}

describe('a worker that dies mid-attempt', () => {
  it('has its attempt delivered to another worker by the stalled-job check, and the plan completes', async () => {
    const { run, other } = await killWorkerMidJob('redeliver', FAST_STALL);
    // The same attempt, at least once: BullMQ moved it back to wait and the other worker took it.
    await other.line(/^started redeliver slow#1$/);
    await writeFile(go, '');
    const result = await run;
    expect(result.code).toBe(0);
    expect(
      (await readFile(join(dir, 'runs.log'), 'utf8')).split('\n').filter(Boolean),
    ).toHaveLength(2);
    expect(result.stdout).not.toMatch(/"attempt-failed"/);
  });

  it('past the stall limit fails the attempt with kind worker_lost, and the retry policy runs it again', async () => {
    const { run, other } = await killWorkerMidJob('lost', [...FAST_STALL, '--max-stalled', '0'], {
      retry: { maxAttempts: 2, initialDelayMs: 0 },
    });
    await other.line(/^started lost slow#2$/);
    await writeFile(go, '');
    const result = await run;
    expect(result.code).toBe(0);
    const records = result.stdout
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
