import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { node, planFile } from '../cli/jobs.js';
import { type CliResult, cli } from '../cli/run-cli.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { startWorker, type WorkerProcess } from './workers.js';

/**
 * What each test of a queue needs, made anew for each test: its own redis-server, a folder, the
 * file `go` its jobs wait for, and the worker processes it started (killed afterwards).
 */
export interface QueueFixture {
  server: RedisServer;
  dir: string;
  go: string;
  workers: WorkerProcess[];
  /** Starts a worker process on `queue` of this test's Redis. */
  worker(queue: string, name: string, extra?: string[]): Promise<WorkerProcess>;
  /**
   * A shell job that appends `line` (default: its pid) to `runs.log`, prints "ready" and waits
   * until the file `go` exists.
   */
  waitsForGo(line?: string): { command: string; args: string[] };
  /**
   * Runs plan `planId` (jobs `a` and `b`, which wait for `go`, then `more`) on queue `queue`
   * with the plain reporter and workers `w1` and `w2`, once each of them runs one of `a` and `b`:
   * the run's result and the line each worker printed when it began its first job.
   */
  runOnTwoWorkers(
    queue: string,
    planId: string,
    more?: unknown[],
  ): Promise<{ result: CliResult; workers: WorkerProcess[]; first: string[] }>;
}

export function queueFixture(): QueueFixture {
  const fixture = { workers: [] as WorkerProcess[] } as QueueFixture;
  fixture.worker = async (queue, name, extra = []) => {
    const worker = await startWorker(fixture.server.url, queue, name, extra);
    fixture.workers.push(worker);
    return worker;
  };
  fixture.waitsForGo = (line) =>
    node(
      `const fs = require('fs'); fs.appendFileSync(${JSON.stringify(join(fixture.dir, 'runs.log'))}, ${line === undefined ? 'process.pid' : JSON.stringify(line)} + '\\n'); console.log('ready'); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(fixture.go)})) clearInterval(t) }, 20)`,
    );
  fixture.runOnTwoWorkers = async (queue, planId, more = []) => {
    const workers = [await fixture.worker(queue, 'w1'), await fixture.worker(queue, 'w2')];
    const file = await planFile(fixture.dir, 'plan.json', {
      id: planId,
      maxParallel: 2,
      jobs: [
        { id: 'a', run: fixture.waitsForGo('a') },
        { id: 'b', run: fixture.waitsForGo('b') },
        ...more,
      ],
    });
    const run = cli([
      'run',
      file,
      '--redis',
      fixture.server.url,
      '--queue',
      queue,
      '--reporter',
      'plain',
    ]);
    // One attempt at a time on each worker: both waiting at once means one runs on each.
    const started = new RegExp(`^started ${planId} [ab]#1$`);
    const first = await Promise.all(workers.map((worker) => worker.line(started)));
    await writeFile(fixture.go, '');
    return { result: await run, workers, first };
  };
  beforeEach(async () => {
    fixture.server = await startRedisServer({ durable: false });
    fixture.dir = await mkdtemp(join(tmpdir(), 'queue-'));
    fixture.go = join(fixture.dir, 'go');
  });
  afterEach(async () => {
    await writeFile(fixture.go, ''); // lets a job process left by a killed worker end
    for (const worker of fixture.workers.splice(0)) {
      (await worker.child).kill('SIGKILL');
      await worker.exited;
    }
    await fixture.server.stop();
    await rm(fixture.dir, { recursive: true, force: true });
  });
  return fixture;
}

/** Runs the command line; `seen` resolves once a line it printed contains `marker`. */
export function runUntil(
  args: string[],
  marker: string,
): { result: Promise<CliResult>; seen: Promise<void> } {
  let mark!: () => void;
  const seen = new Promise<void>((resolve) => {
    mark = resolve;
  });
  const result = cli(args, {
    onLine: (line) => {
      if (line.includes(marker)) mark();
    },
  });
  return { result, seen };
}
