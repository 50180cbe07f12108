import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { node, planFile } from './jobs.js';
import { type CliResult, cli } from './run-cli.js';

let server: RedisServer;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'redis-outage-'));
  server = await startRedisServer();
});
afterEach(async () => {
  await writeFile(join(dir, 'go-hold'), '');
  await writeFile(join(dir, 'go-after'), '');
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A job that prints "ready", then waits until the file `go-<name>` exists. */
const waitsFor = (name: string) =>
  node(
    `console.log('ready'); const t = setInterval(() => { if (require('fs').existsSync(${JSON.stringify(join(dir, `go-${name}`))})) clearInterval(t) }, 20)`,
  );

describe('a plan run with --redis while redis-server is killed and restarted', () => {
  it('pauses at persistence, says so, goes on by itself once Redis is back, and still obeys pause and continue', async () => {
    const file = await planFile(dir, 'plan.json', {
      id: 'outage',
      jobs: [
        { id: 'hold', run: waitsFor('hold') },
        { id: 'after', dependsOn: ['hold'], run: waitsFor('after') },
      ],
    });
    const steps: Promise<unknown>[] = [];
    let killed = false;
    let restarted = false;
    const commands: CliResult[] = [];
    const result = await cli(['run', file, '--redis', server.url, '--reporter', 'plain'], {
      onLine: (line) => {
        if (line.includes('hold | ready')) steps.push(server.kill().then(() => (killed = true)));
        // The job's end could not be written: the plan holds until Redis is back.
        if (line.includes('plan paused at persistence')) {
          steps.push(server.restart().then(() => (restarted = true)));
        }
        if (line.includes('after | ready')) {
          steps.push(
            (async () => {
              for (const command of ['pause', 'continue']) {
                commands.push(await cli([command, '--redis', server.url, '--plan', 'outage']));
              }
              await writeFile(join(dir, 'go-after'), '');
            })(),
          );
        }
      },
      onStderr: (stderr) => {
        // Not waiting for `killed`: the command may say so before the kill is seen to be done,
        // and it says it once.
        if (stderr.includes('is unreachable') && !existsSync(join(dir, 'go-hold'))) {
          steps.push(writeFile(join(dir, 'go-hold'), ''));
        }
      },
    });
    await Promise.all(steps);
    expect(killed && restarted).toBe(true);
    expect(result.stderr).toMatch(
      /^warning: Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable \((connection lost|read ECONNRESET)\); plan "outage" pauses at its persistence checkpoint and goes on by itself when Redis is back\n/,
    );
    expect(result.stderr).toContain(
      `warning: Redis at ${server.url} is reachable again; plan "outage" goes on\n`,
    );
    expect(commands.map((c) => [c.code, c.stdout])).toEqual([
      [0, 'PAUSE accepted\n'],
      [0, 'RESUME accepted\n'],
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Plan "outage" completed: 2 succeeded');
  });
});
