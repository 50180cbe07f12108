import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { node, planFile } from '../cli/jobs.js';
import { cli } from '../cli/run-cli.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { startWorker, type WorkerProcess } from './workers.js';

let server: RedisServer;
let dir: string;
let go: string;
const workers: WorkerProcess[] = [];
beforeEach(async () => {
  server = await startRedisServer({ durable: false });
  dir = await mkdtemp(join(tmpdir(), 'queue-workers-'));
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

/** A shell job that logs its name, prints "ready" and waits until the file `go` exists. */
const waitsForGo = (name: string) =>
  node(
    `const fs = require('fs'); fs.appendFileSync(${JSON.stringify(join(dir, 'runs.log'))}, ${JSON.stringify(`${name}\n`)}); console.log('ready'); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)})) clearInterval(t) }, 20)`,
  );

describe('run --queue: attempts run on worker processes', () => {
  it('spreads jobs over two workers, reports their output lines, and the plan completes', async () => {
    workers.push(await startWorker(server.url, 'builds', 'w1'));
    workers.push(await startWorker(server.url, 'builds', 'w2'));
    const file = await planFile(dir, 'plan.json', {
      id: 'spread',
      maxParallel: 2,
      jobs: [
        { id: 'a', run: waitsForGo('a') },
        { id: 'b', run: waitsForGo('b') },
        { id: 'c', dependsOn: ['a', 'b'], run: node("console.log('c done')") },
      ],
    });
    const run = cli([
      'run',
      file,
      '--redis',
      server.url,
      '--queue',
      'builds',
      '--reporter',
      'plain',
    ]);
    // One attempt at a time on each worker: both waiting at once means one runs on each.
    await Promise.all(workers.map((worker) => worker.line(/^started spread [ab]#1$/)));
    await writeFile(go, '');
    const result = await run;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/a \| ready/);
    expect(result.stdout).toMatch(/c \| c done/);
    const started = workers.map((worker) => worker.lines.filter((l) => l.startsWith('started')));
    expect(started.flat().sort()).toEqual([
      'started spread a#1',
      'started spread b#1',
      'started spread c#1',
    ]);
    expect(started.every((lines) => lines.length >= 1)).toBe(true);
  });

  it('leaves jobs waiting on the queue until a worker starts, which then runs them', async () => {
    const file = await planFile(dir, 'plan.json', {
      id: 'late-worker',
      jobs: [{ id: 'only', run: node("console.log('ran')") }],
    });
    let coordinator!: ChildProcess;
    const [started, markStarted] = (() => {
      let resolve!: () => void;
      return [new Promise<void>((r) => (resolve = r)), () => resolve()] as const;
    })();
    const run = cli(
      ['run', file, '--redis', server.url, '--queue', 'later', '--reporter', 'plain'],
      {
        onLine: (line, child) => {
          coordinator = child;
          if (line.includes('only: started (attempt 1)')) markStarted();
        },
      },
    );
    await started;
    expect(coordinator.exitCode).toBeNull();
    workers.push(await startWorker(server.url, 'later', 'late'));
    const result = await run;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/only \| ran/);
    expect(await workers[0]!.line(/^started late-worker/)).toBe('started late-worker only#1');
  });
});
