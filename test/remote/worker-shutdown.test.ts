import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { node, planFile, stillRunning } from '../cli/jobs.js';
import { cli } from '../cli/run-cli.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { startWorker, type WorkerProcess } from './workers.js';

let server: RedisServer;
let dir: string;
let go: string;
const workers: WorkerProcess[] = [];
beforeEach(async () => {
  server = await startRedisServer({ durable: false });
  dir = await mkdtemp(join(tmpdir(), 'worker-shutdown-'));
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

/** A shell job that logs its pid to `runs.log` and waits until the file `go` exists. */
const waitsForGo = () =>
  node(
    `const fs = require('fs'); fs.appendFileSync(${JSON.stringify(join(dir, 'runs.log'))}, process.pid + '\\n'); console.log('ready'); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)})) clearInterval(t) }, 20)`,
  );

/** Runs a one-job plan on the queue; `running` resolves once the job's process printed "ready". */
async function runOneJob(planId: string) {
  const file = await planFile(dir, 'plan.json', {
    id: planId,
    jobs: [{ id: 'slow', run: waitsForGo() }],
  });
  let ready!: () => void;
  const running = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const run = cli(['run', file, '--redis', server.url, '--queue', 'q', '--reporter', 'plain'], {
    onLine: (line) => {
      if (line.includes('slow | ready')) ready();
    },
  });
  return { run, running };
}

describe('a worker stopped by SIGTERM', () => {
  it('takes no new attempts, lets the running one finish within the grace, and exits 0', async () => {
    const worker = await startWorker(server.url, 'q', 'w1');
    workers.push(worker);
    const { run, running } = await runOneJob('graceful');
    await running;
    (await worker.child).kill('SIGTERM');
    await worker.line(/^SIGTERM: taking no more attempts/);
    await writeFile(go, '');
    expect((await run).code).toBe(0);
    const exit = await worker.exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/worker w1 stopped; 0 attempt\(s\) handed back/);
  });

  it('past the grace stops the running attempt and hands it back to the queue, where another worker runs it', async () => {
    const first = await startWorker(server.url, 'q', 'w1', ['--grace-ms', '200']);
    workers.push(first);
    const { run, running } = await runOneJob('handed-back');
    await running;
    (await first.child).kill('SIGTERM');
    const exit = await first.exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/worker w1 stopped; 1 attempt\(s\) handed back/);
    const firstPid = (await readFile(join(dir, 'runs.log'), 'utf8')).trim();
    await writeFile(join(dir, 'first.pid'), firstPid);
    expect(stillRunning(join(dir, 'first.pid'))).toBe(false);

    const second = await startWorker(server.url, 'q', 'w2');
    workers.push(second);
    await second.line(/^started handed-back slow#1$/);
    await writeFile(go, '');
    const result = await run;
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/failed/);
  });
});
