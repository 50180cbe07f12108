import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planKeys } from '../../src/persistence/redis-keys.js';
import { keyGone } from '../support/redis-keyspace.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { node, planFile, stillRunning } from './jobs.js';
import { cli } from './run-cli.js';

const PASSWORD = 'across-machines-secret-7';
const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

/** The shell blocks of the README's "Running across machines" section. */
function readmeBlocks(): string[] {
  const start = README.indexOf('## Running across machines');
  const end = README.indexOf('\n## ', start + 1);
  const section = README.slice(start, end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

/** A command line of the README as arguments, with `$NAME` replaced from `values`. */
function argsOf(line: string, values: Record<string, string>): string[] {
  return line
    .trim()
    .split(/\s+/)
    .map((word) =>
      word.replace(/^"(.*)"$/, '$1').replace(/\$([A-Z_]+)/g, (_, name) => values[name]!),
    );
}

/** A promise and the function that resolves it. */
function signal<T = void>(): [Promise<T>, (value: T) => void] {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return [promise, resolve];
}

let server: RedisServer | null = null;
let redis: Redis | null = null;
let dir: string;
let go: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'across-machines-'));
  go = join(dir, 'go');
});
afterEach(async () => {
  await writeFile(go, ''); // lets any job process left by a killed coordinator end
  redis?.disconnect();
  await server?.stop();
  server = null;
  redis = null;
  await rm(dir, { recursive: true, force: true });
});

/** A job that logs its name to `runs.log`, prints "ready" and waits until the file `go` exists. */
const waitsForGo = (name: string) =>
  node(
    `const fs = require('fs'); fs.appendFileSync(${JSON.stringify(join(dir, 'runs.log'))}, ${JSON.stringify(`${name}\n`)}); fs.appendFileSync(${JSON.stringify(join(dir, 'pids'))}, process.pid + '\\n'); console.log('ready'); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)})) clearInterval(t) }, 20)`,
  );

describe('Running across machines (the README section, with a real redis-server)', () => {
  it('runs its commands: run and approve, plans and status from elsewhere, SIGKILL of the coordinator, resume once the lease expired; the plan completes with each job done at least once', async () => {
    const [serverBlock, commandBlock] = readmeBlocks();
    const serverLine = serverBlock!.trim();
    expect(serverLine).toMatch(/^redis-server --appendonly yes --appendfsync always /);
    server = await startRedisServer({
      args: argsOf(serverLine, { REDIS_PASSWORD: PASSWORD }).slice(1),
    });
    const url = `redis://:${PASSWORD}@127.0.0.1:${server.port}`;
    redis = new Redis({ host: '127.0.0.1', port: server.port, password: PASSWORD });
    expect(await redis.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
    const commands = Object.fromEntries(
      commandBlock!
        .split('\n')
        .filter((line) => line.startsWith('plan-orchestrator '))
        .map((line) => {
          const args = argsOf(line, { REDIS_URL: url }).slice(1);
          return [args[0]!, args];
        }),
    );
    expect(Object.keys(commands)).toEqual(['run', 'approve', 'plans', 'status', 'resume']);
    await planFile(dir, 'nightly.yaml', {
      id: 'nightly',
      mode: 'copilot',
      jobs: [
        { id: 'build', run: waitsForGo('build') },
        {
          id: 'test',
          dependsOn: ['build'],
          run: node(
            `require('fs').appendFileSync(${JSON.stringify(join(dir, 'runs.log'))}, 'test\\n')`,
          ),
        },
      ],
    });
    const shown = `redis://:***@127.0.0.1:${server.port}`;

    // Machine A runs the plan; it waits for its start to be approved.
    const [pausedAtStart, paused] = signal();
    const [buildRuns, building] = signal<ChildProcess>();
    const first = cli([...commands.run!, '--reporter', 'plain'], {
      cwd: dir,
      onLine: (line, child) => {
        if (line.includes('plan paused at start')) paused();
        if (line.includes('build | ready')) building(child);
      },
    });
    await pausedAtStart;
    const approved = await cli(commands.approve!, { cwd: tmpdir() });
    expect(approved).toMatchObject({ code: 0, stdout: 'APPROVE accepted\n' });
    const coordinator = await buildRuns;
    const owner = `${coordinator.pid}@${hostname()}`;

    const listed = await cli(commands.plans!);
    expect(listed.code).toBe(0);
    const [id, listedStatus, listedOwner] = listed.stdout.split('\n')[1]!.split(/ {2,}/);
    expect([id, listedStatus, listedOwner]).toEqual(['nightly', 'running', owner]);
    const status = await cli(commands.status!);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(
      `Plan "nightly": running (or stopped: \`plan-orchestrator resume --redis ${shown} --plan nightly\` goes on)`,
    );
    expect(status.stdout).toMatch(/\n {2}build +running +attempt 1\n/);
    expect(status.stdout).toContain(`Coordinator: process ${coordinator.pid} on ${hostname()}`);
    for (const output of [approved, listed, status]) {
      expect(output.stdout + output.stderr).not.toContain(PASSWORD);
    }

    // While A lives, B is refused, told who runs the plan and when its lease expires.
    const refused = await cli(commands.resume!, { cwd: tmpdir() });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^error STATE_LOCKED Plan "nightly" in Redis at .* is in use by process ${coordinator.pid} on host ${hostname()} \\(owner since .*\\); its lease expires at \\d{4}-.*Z \\(in [\\d.]+ s\\)`,
      ),
    );

    // A dies without a word; once its lease has expired, B takes the plan over and finishes it.
    coordinator.kill('SIGKILL');
    expect((await first).code).toBe(null);
    await keyGone(url, planKeys('nightly').lease);
    const resumed = await cli([...commands.resume!, '--reporter', 'plain'], {
      cwd: tmpdir(),
      onLine: (line) => {
        if (line.includes('build | ready')) writeFile(go, '');
      },
    });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('build: attempt build#1 was interrupted; it runs again');
    expect(resumed.stdout).toContain('Plan "nightly" completed: 2 succeeded');
    const runs = (await readFile(join(dir, 'runs.log'), 'utf8')).trimEnd().split('\n');
    expect(runs.filter((name) => name === 'build')).toHaveLength(2); // the interrupted attempt and its rerun
    expect(runs.filter((name) => name === 'test')).toHaveLength(1);

    const after = await cli(commands.plans!);
    expect(after.stdout.split('\n')[1]!.split(/ {2,}/).slice(0, 4)).toEqual([
      'nightly',
      'completed',
      'none',
      '-',
    ]);
  });

  it('a coordinator stopped past its lease while another took the plan over stops its job and exits 5 naming the new owner', async () => {
    server = await startRedisServer();
    redis = new Redis({ host: '127.0.0.1', port: server.port });
    const file = await planFile(dir, 'zombie.json', {
      id: 'zombie',
      jobs: [{ id: 'hold', run: waitsForGo('hold') }],
    });
    const fast = ['--lease-ms', '1000', '--reporter', 'plain'];
    let second: ReturnType<typeof cli> | null = null;
    const [took, tookOver] = signal<ChildProcess>();
    const first = cli(['run', file, '--redis', server.url, ...fast], {
      onLine: (line, zombie) => {
        if (!line.includes('hold | ready') || second) return;
        zombie.kill('SIGSTOP');
        second = keyGone(server!.url, planKeys('zombie').lease).then(() =>
          cli(['resume', '--redis', server!.url, '--plan', 'zombie', ...fast], {
            onLine: (resumedLine, owner) => {
              if (!resumedLine.includes('hold | ready')) return;
              tookOver(owner);
              zombie.kill('SIGCONT');
            },
          }),
        );
      },
    });
    const zombieRun = await first;
    const owner = await took;
    expect(zombieRun.code).toBe(5);
    // Woken after its lease expired, a coordinator on a busy machine may first find Redis slow to
    // answer and say so; what it must end with is the lost lease, naming the new owner.
    const lines = zombieRun.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^error LEASE_LOST Plan "zombie" in Redis at .* is no longer this coordinator's: .*process ${owner.pid} on host ${hostname()} took it over .*; this coordinator stopped its running jobs and exits$`,
      ),
    );
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/Redis at .* is unreachable/);
    expect(zombieRun.stdout).not.toContain('plan failed');
    const [zombieJob] = (await readFile(join(dir, 'pids'), 'utf8')).trimEnd().split('\n');
    await writeFile(join(dir, 'zombie-job.pid'), zombieJob!);
    expect(stillRunning(join(dir, 'zombie-job.pid'))).toBe(false);

    await writeFile(go, '');
    const resumed = await second!;
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('Plan "zombie" completed: 1 succeeded');
  });

  it('SIGTERM stops the job, gives the lease up and names resume --redis, which goes on at once', async () => {
    server = await startRedisServer();
    redis = new Redis({ host: '127.0.0.1', port: server.port });
    const file = await planFile(dir, 'term.json', {
      id: 'term',
      jobs: [{ id: 'hold', run: waitsForGo('hold') }],
    });
    const stopped = await cli(['run', file, '--redis', server.url, '--reporter', 'plain'], {
      onLine: (line, child) => {
        if (line.includes('hold | ready')) child.kill('SIGTERM');
      },
    });
    expect(stopped.code).toBe(143);
    expect(stopped.stderr).toContain(
      `stopped by SIGTERM: what was recorded is kept in Redis at ${server.url}; plan-orchestrator resume --redis ${server.url} --plan term goes on from there\n`,
    );
    const [jobPid] = (await readFile(join(dir, 'pids'), 'utf8')).trimEnd().split('\n');
    await writeFile(join(dir, 'job.pid'), jobPid!);
    expect(stillRunning(join(dir, 'job.pid'))).toBe(false);
    expect(await redis.exists(planKeys('term').lease)).toBe(0);

    const resumed = await cli(
      ['resume', '--redis', server.url, '--plan', 'term', '--reporter', 'plain'],
      {
        onLine: (line) => {
          if (line.includes('hold | ready')) writeFile(go, '');
        },
      },
    );
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('Plan "term" completed: 1 succeeded');
  });
});
