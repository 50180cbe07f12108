import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { node, planFile } from './jobs.js';
import { cli } from './run-cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-steer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A job that prints "ready" and finishes once `file` exists. */
const waitsFor = (file: string) =>
  node(
    `console.log('ready'); const fs = require('fs'); const wait = () => fs.existsSync(${JSON.stringify(file)}) ? console.log('done') : setTimeout(wait, 10); wait()`,
  );

describe('pause and continue from the command line', () => {
  it('pause holds every new job until continue; approve at that pause names continue', async () => {
    const release = join(dir, 'release');
    const file = await planFile(dir, 'plan.json', {
      id: 'steered',
      jobs: [
        { id: 'first', run: waitsFor(release) },
        { id: 'second', dependsOn: ['first'], run: node("console.log('second ran')") },
      ],
    });
    const stateDir = join(dir, 'state');
    const lines: string[] = [];
    let steering: Promise<void> = Promise.resolve();
    const result = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
      onLine: (line) => {
        lines.push(line);
        if (line.includes('first | ready')) {
          steering = (async () => {
            expect(await cli(['pause', '--state-dir', stateDir])).toMatchObject({
              code: 0,
              stdout: 'PAUSE accepted\n',
            });
            await writeFile(release, '');
          })();
        }
        if (line.includes('first: succeeded')) {
          steering = steering.then(async () => {
            const approve = await cli(['approve', '--state-dir', stateDir]);
            expect(approve.code).toBe(1);
            expect(approve.stderr).toBe(
              'APPROVE rejected: Plan "steered" is paused by PAUSE; send RESUME (plan-orchestrator continue) to go on (APPROVE rejected)\n',
            );
            expect(await cli(['continue', '--state-dir', stateDir])).toMatchObject({
              code: 0,
              stdout: 'RESUME accepted\n',
            });
          });
        }
      },
    });
    await steering;
    expect(result.code).toBe(0);
    const paused = lines.findIndex((line) => line.includes('plan paused at user'));
    const succeeded = lines.findIndex((line) => line.includes('first: succeeded'));
    const resumed = lines.findIndex((line) => line.includes('plan resumed'));
    const started = lines.findIndex((line) => line.includes('second: started'));
    expect(paused).toBeGreaterThan(-1);
    expect(paused).toBeLessThan(succeeded);
    expect(succeeded).toBeLessThan(resumed);
    expect(resumed).toBeLessThan(started);
    expect(result.stdout).toContain('second | second ran');
  });
});

describe('the control channel', () => {
  it('is removed from the state folder when the run ends', async () => {
    const file = await planFile(dir, 'plan.json', {
      id: 'short',
      jobs: [{ id: 'a', run: node('process.exit(1)') }],
    });
    const stateDir = join(dir, 'state');
    let during = false;
    const result = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
      onLine: () => {
        during ||= existsSync(join(stateDir, 'control.token'));
      },
    });
    expect(result.code).toBe(1);
    expect(during).toBe(true);
    expect(existsSync(join(stateDir, 'control.token'))).toBe(false);
    expect(existsSync(join(stateDir, 'control.sock'))).toBe(false);
  });

  it('answers a request over the size limit with a refusal and keeps the plan running', async () => {
    const release = join(dir, 'release');
    const file = await planFile(dir, 'plan.json', {
      id: 'big',
      jobs: [{ id: 'a', run: waitsFor(release) }],
    });
    const stateDir = join(dir, 'state');
    let answer: Promise<string> = Promise.resolve('');
    const result = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
      onLine: (line) => {
        if (!line.includes('a | ready')) return;
        answer = new Promise<string>((resolve) => {
          const socket = createConnection(join(stateDir, 'control.sock'));
          let reply = '';
          socket.on('data', (data) => {
            reply += data;
          });
          socket.on('end', () => resolve(reply));
          socket.end(`${JSON.stringify({ token: 'x', reason: 'y'.repeat(100_000) })}\n`);
        }).finally(() => writeFile(release, ''));
      },
    });
    expect(JSON.parse(await answer)).toEqual({
      accepted: false,
      reason:
        'the request is longer than 65536 bytes; send a shorter command (e.g. a shorter --reason)',
    });
    expect(result.code).toBe(0);
  });

  it('a --reason of 100 KB is refused with exit 2 and the limit', async () => {
    const result = await cli([
      'cancel',
      '--state-dir',
      join(dir, 'state'),
      '--reason',
      'x'.repeat(100_000),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--reason must be at most 4096 characters; got 100000');
  });

  for (const [kind, reply, problem] of [
    ['not JSON', 'not json\n', 'the answer is not JSON'],
    ['cut off', '{"accepted": tr', 'the answer was cut off'],
    ['missing', '', 'the connection closed without an answer'],
    [
      'oversize',
      `${JSON.stringify({ accepted: false, reason: 'r'.repeat(70_000) })}\n`,
      'the answer is longer than 65536 bytes',
    ],
    ['not a command result', '{"ok": 1}\n', 'the answer is not a command result'],
  ] as const) {
    it(`a control command whose answer is ${kind} says so and exits 1`, async () => {
      const stateDir = join(dir, 'state');
      await mkdir(stateDir);
      await writeFile(join(stateDir, 'control.token'), 'token');
      const server = createServer((socket) => {
        socket.on('error', () => {});
        socket.once('data', () => socket.end(reply));
      });
      await new Promise<void>((resolve) => server.listen(join(stateDir, 'control.sock'), resolve));
      try {
        const result = await cli(['cancel', '--state-dir', stateDir]);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(
          `No valid answer from the plan of state folder ${stateDir}: ${problem}; CANCEL may or may not have been applied (see plan-orchestrator status ${stateDir})\n`,
        );
      } finally {
        server.close();
      }
    });
  }
});
