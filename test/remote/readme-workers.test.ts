import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../cli/run-cli.js';
import { queueFixture } from './queue-fixture.js';

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

const t = queueFixture();

describe('the README: jobs on workers', () => {
  it('runs its three terminals: two workers and a coordinator; the jobs run on both workers and the plan completes', async () => {
    const commands = readmeCommands();
    expect(commands.map((args) => args[0])).toEqual(['worker', 'worker', 'run']);
    const values = (args: string[]) =>
      args.map((word) =>
        word === '"$REDIS_URL"' ? t.server.url : word === 'build.yaml' ? join(t.dir, word) : word,
      );
    const waits = t.waitsForGo();
    await writeFile(
      join(t.dir, 'build.yaml'),
      JSON.stringify({
        id: 'build',
        jobs: ['a', 'b', 'c', 'd'].map((id) => ({ id, run: waits })),
      }),
    );
    for (const [i, args] of commands.slice(0, 2).entries()) {
      const [, , url, , queue, ...rest] = values(args);
      expect(url).toBe(t.server.url);
      await t.worker(queue!, `terminal-${i + 1}`, rest);
    }
    const run = cli([...values(commands[2]!), '--reporter', 'plain']);
    // Two at a time on each worker: four jobs running at once means two on each.
    await Promise.all(
      t.workers.map((worker) => worker.linesMatching(/^started build [a-d]#1$/, 2)),
    );
    await writeFile(t.go, '');
    const result = await run;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/plan completed/);
  });
});
