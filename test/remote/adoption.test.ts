import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planKeys } from '../../src/persistence/redis-keys.js';
import { node, planFile } from '../cli/jobs.js';
import { cli } from '../cli/run-cli.js';
import { keyGone } from '../support/redis-keyspace.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { startWorker, type WorkerProcess } from './workers.js';

let server: RedisServer;
let dir: string;
let go: string;
let worker: WorkerProcess;
beforeEach(async () => {
  server = await startRedisServer({ durable: false });
  dir = await mkdtemp(join(tmpdir(), 'adoption-'));
  go = join(dir, 'go');
  worker = await startWorker(server.url, 'q', 'w1');
});
afterEach(async () => {
  await writeFile(go, '');
  (await worker.child).kill('SIGKILL');
  await worker.exited;
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A shell job that counts its runs in `runs.log`, prints "ready" and waits for the file `go`. */
const countsRuns = () =>
  node(
    `const fs = require('fs'); fs.appendFileSync(${JSON.stringify(join(dir, 'runs.log'))}, 'run\\n'); console.log('ready'); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)})) clearInterval(t) }, 20)`,
  );

/** Runs a one-job plan on the queue and SIGKILLs its coordinator once the job runs on the worker. */
async function coordinatorDiesMidJob(planId: string) {
  const file = await planFile(dir, 'plan.json', {
    id: planId,
    jobs: [{ id: 'slow', run: countsRuns() }],
  });
  const run = cli(
    [
      'run',
      file,
      '--redis',
      server.url,
      '--queue',
      'q',
      '--lease-ms',
      '1000',
      '--reporter',
      'plain',
    ],
    {
      onLine: (line, child) => {
        if (line.includes('slow | ready')) child.kill('SIGKILL');
      },
    },
  );
  expect((await run).code).toBeNull();
  await keyGone(server.url, planKeys(planId).lease);
}

const recordsOf = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; attemptId?: string });

describe('a coordinator that restarts adopts the attempts BullMQ still has', () => {
  it('an attempt still running on a worker is waited for, not run again: the job runs once', async () => {
    await coordinatorDiesMidJob('adopt-running');
    let restored!: () => void;
    const isRestored = new Promise<void>((resolve) => {
      restored = resolve;
    });
    const resume = cli(
      ['resume', '--redis', server.url, '--plan', 'adopt-running', '--reporter', 'jsonl'],
      {
        onLine: (line) => {
          if (line.includes('"plan-restored"')) restored();
        },
      },
    );
    await isRestored;
    await writeFile(go, '');
    const result = await resume;
    expect(result.code).toBe(0);
    expect(await readFile(join(dir, 'runs.log'), 'utf8')).toBe('run\n');
    const records = recordsOf(result.stdout);
    expect(records.map((r) => r.type)).not.toContain('attempt-interrupted');
    expect(records).toContainEqual(
      expect.objectContaining({ type: 'job-succeeded', attemptId: 'slow#1' }),
    );
  });

  it('an attempt that finished while no coordinator ran is read back, not run again', async () => {
    await coordinatorDiesMidJob('adopt-finished');
    await writeFile(go, '');
    await worker.line(/^completed adopt-finished slow#1$/);
    const result = await cli([
      'resume',
      '--redis',
      server.url,
      '--plan',
      'adopt-finished',
      '--reporter',
      'jsonl',
    ]);
    expect(result.code).toBe(0);
    expect(await readFile(join(dir, 'runs.log'), 'utf8')).toBe('run\n');
    expect(recordsOf(result.stdout).map((r) => r.type)).not.toContain('attempt-interrupted');
  });
});
