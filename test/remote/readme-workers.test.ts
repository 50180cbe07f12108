import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { node } from '../cli/jobs.js';
import { cli } from '../cli/run-cli.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { startWorker, type WorkerProcess } from './workers.js';

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

/** The command lines of the first shell block of the README's "Jobs on workers" section. */
function readmeCommands(): string[][] {
  const start = README.indexOf('### Jobs on workers');
  const block = /```sh\n([\s\S]*?)```/.exec(README.slice(start))![1]!;
  return block
    .split('\n')
    .filter((line) => line.startsWith('plan-orchestrator '))
    .map((line) => line.split(/\s+/).slice(1));
}

let server: RedisServer | null = null;
let dir: string | null = null;
const workers: WorkerProcess[] = [];
afterEach(async () => {
  if (dir) await writeFile(join(dir, 'go'), '');
  for (const worker of workers.splice(0)) {
    (await worker.child).kill('SIGKILL');
    await worker.exited;
  }
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the README: jobs on workers', () => {
  it('runs its three terminals: two workers and a coordinator; the jobs run on both workers and the plan completes', async () => {
    server = await startRedisServer({ durable: false });
    dir = await mkdtemp(join(tmpdir(), 'readme-workers-'));
    const go = join(dir, 'go');
    const commands = readmeCommands();
    expect(commands.map((args) => args[0])).toEqual(['worker', 'worker', 'run']);
    const values = (args: string[]) =>
      args.map((word) =>
        word === '"$REDIS_URL"' ? server!.url : word === 'build.yaml' ? join(dir!, word) : word,
      );
    const waits = node(
      `const fs = require('fs'); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)})) clearInterval(t) }, 20)`,
    );
    await writeFile(
      join(dir, 'build.yaml'),
      JSON.stringify({
        id: 'build',
        jobs: ['a', 'b', 'c', 'd'].map((id) => ({ id, run: waits })),
      }),
    );
    for (const [i, args] of commands.slice(0, 2).entries()) {
      const [, , url, , queue, ...rest] = values(args);
      workers.push(await startWorker(url!, queue!, `terminal-${i + 1}`, rest));
    }
    const run = cli([...values(commands[2]!), '--reporter', 'plain']);
    // Two at a time on each worker: four jobs running at once means two on each.
    await Promise.all(workers.map((worker) => worker.linesMatching(/^started build [a-d]#1$/, 2)));
    await writeFile(go, '');
    const result = await run;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/plan completed/);
  });
});
