import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { node, planFile } from './jobs.js';
import { cli } from './run-cli.js';

const VARIABLE = 'PLAN_ORCHESTRATOR_TEST_LOG_TOKEN';
const TOKEN = `tok-${randomUUID()}`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-logs-'));
  process.env[VARIABLE] = TOKEN;
});
afterEach(async () => {
  delete process.env[VARIABLE];
  await rm(dir, { recursive: true, force: true });
});

describe('plan-orchestrator logs', () => {
  it("prints the latest attempt's stdout and stderr lines, or the attempt asked for, with secrets as ***", async () => {
    const marker = join(dir, 'tried');
    const file = join(dir, 'plan.yaml');
    const script = `const fs = require('fs'); if (!fs.existsSync(${JSON.stringify(marker)})) { fs.writeFileSync(${JSON.stringify(marker)}, ''); console.log('first try with ' + process.env.API_TOKEN); console.error('database not ready'); process.exit(1) } console.log('second try'); console.error('warning: slow')`;
    await writeFile(
      file,
      [
        'id: logged',
        'jobs:',
        '  - id: flaky',
        '    retry: { maxAttempts: 2, initialDelayMs: 1 }',
        '    run:',
        `      command: ${JSON.stringify(process.execPath)}`,
        `      args: ["-e", ${JSON.stringify(script)}]`,
        `      env: { API_TOKEN: { fromEnv: ${VARIABLE} } }`,
        '',
      ].join('\n'),
    );
    const stateDir = join(dir, 'state');
    const run = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain']);
    expect(run.code).toBe(0);

    const latest = await cli(['logs', 'flaky', '--state-dir', stateDir]);
    expect(latest).toMatchObject({ code: 0, stdout: 'second try\nwarning: slow\n' });
    const first = await cli(['logs', 'flaky', '--attempt', '1', '--state-dir', stateDir]);
    expect(first).toMatchObject({
      code: 0,
      stdout: 'first try with ***\ndatabase not ready\n',
    });
    expect(first.stdout).not.toContain(TOKEN);
  });

  it('keeps at most --log-max-bytes per attempt and ends the log with how much it dropped', async () => {
    const file = await planFile(dir, 'plan.json', {
      id: 'chatty',
      // 100 lines of 20 characters: 2,100 bytes with their line ends.
      jobs: [
        { id: 'talk', run: node("for (let i = 0; i < 100; i++) console.log('x'.repeat(20))") },
      ],
    });
    const stateDir = join(dir, 'state');
    const run = await cli(['run', file, '--state-dir', stateDir, '--log-max-bytes', '1024']);
    expect(run.code).toBe(0);
    const logs = await cli(['logs', 'talk', '--state-dir', stateDir]);
    const lines = logs.stdout.trimEnd().split('\n');
    // 48 lines (1,008 bytes) fit; the other 52 (1,092 bytes) are dropped.
    expect(lines).toHaveLength(49);
    expect(lines.slice(0, 48).every((line) => line === 'x'.repeat(20))).toBe(true);
    expect(lines[48]).toBe('… truncated 1092 bytes');
  });

  it('--follow prints lines as the job prints them and ends by itself when the attempt ends', async () => {
    const gate = join(dir, 'gate');
    const file = await planFile(dir, 'plan.json', {
      id: 'slow',
      jobs: [
        {
          id: 'build',
          run: node(
            `console.log('compiling'); const fs = require('fs'); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(gate)})) { clearInterval(t); console.log('linked'); } }, 20)`,
          ),
        },
      ],
    });
    const stateDir = join(dir, 'state');
    let follower: ReturnType<typeof cli> | undefined;
    let followed!: () => void;
    const sawFirstLine = new Promise<void>((resolve) => {
      followed = resolve;
    });
    const run = cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
      onLine: (line) => {
        if (line.endsWith('build | compiling') && !follower) {
          follower = cli(['logs', 'build', '--follow', '--state-dir', stateDir], {
            onLine: (followedLine) => {
              if (followedLine === 'compiling') followed();
            },
          });
        }
      },
    });
    await sawFirstLine;
    await writeFile(gate, '');
    const [ran, follow] = [await run, await follower!];
    expect(ran.code).toBe(0);
    expect(follow).toMatchObject({ code: 0, stdout: 'compiling\nlinked\n' });
  });

  it('keeps no file for an attempt that printed nothing, and prints nothing for it with exit 0', async () => {
    const file = await planFile(dir, 'plan.json', {
      id: 'quiet',
      jobs: [
        { id: 'silent', run: node('') },
        { id: 'talk', run: node("console.log('hi')") },
      ],
    });
    const stateDir = join(dir, 'state');
    expect((await cli(['run', file, '--state-dir', stateDir])).code).toBe(0);
    expect(existsSync(join(stateDir, 'logs', 'silent'))).toBe(false);
    expect(await readFile(join(stateDir, 'logs', 'talk', '1.log'), 'utf8')).toBe('hi\n');

    expect(await cli(['logs', 'silent', '--state-dir', stateDir])).toMatchObject({
      code: 0,
      stdout: '',
    });
    expect(await cli(['logs', 'silent', '--follow', '--state-dir', stateDir])).toMatchObject({
      code: 0,
      stdout: '',
    });
    const second = await cli(['logs', 'silent', '--attempt', '2', '--state-dir', stateDir]);
    expect(second.stderr).toBe(
      `error USAGE Job "silent" has no log of attempt 2 in ${stateDir}; it has logs of attempt 1 (a running attempt's log starts at its first line)\n`,
    );
  });

  it('refuses --log-max-bytes without --state-dir, and out of its bounds, with exit code 2', async () => {
    const file = await planFile(dir, 'plan.json', {
      id: 'one',
      jobs: [{ id: 'a', run: node('') }],
    });
    const noFolder = await cli(['run', file, '--log-max-bytes', '2048']);
    expect(noFolder.code).toBe(2);
    expect(noFolder.stderr).toBe(
      'error USAGE run: --log-max-bytes goes with --state-dir (logs are kept there)\n',
    );
    const tooSmall = await cli([
      'run',
      file,
      '--state-dir',
      join(dir, 's'),
      '--log-max-bytes',
      '10',
    ]);
    expect(tooSmall.code).toBe(2);
    expect(tooSmall.stderr).toContain(
      '--log-max-bytes must be an integer from 1024 to 1073741824; got "10"',
    );
  });

  it('names the job and the attempts it has when there is no such log, with exit code 2', async () => {
    const file = await planFile(dir, 'plan.json', {
      id: 'one',
      jobs: [{ id: 'only', run: node("console.log('hi')") }],
    });
    const stateDir = join(dir, 'state');
    expect((await cli(['run', file, '--state-dir', stateDir])).code).toBe(0);
    expect(await stat(join(stateDir, 'logs', 'only', '1.log'))).toBeTruthy();

    const unknown = await cli(['logs', 'other', '--state-dir', stateDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      `error USAGE No log of job "other" in ${stateDir}: it has not started an attempt there, its running attempt has printed nothing yet, or it is not a job of this plan\n`,
    );
    const attempt = await cli(['logs', 'only', '--attempt', '2', '--state-dir', stateDir]);
    expect(attempt.code).toBe(2);
    expect(attempt.stderr).toBe(
      `error USAGE Job "only" has no log of attempt 2 in ${stateDir}; it has logs of attempt 1 (a running attempt's log starts at its first line)\n`,
    );
    const path = await cli(['logs', '../only', '--state-dir', stateDir]);
    expect(path.code).toBe(2);
    expect(path.stderr).toContain('"../only" is not a job id');
  });
});
