import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { node, planFile, stillRunning, trapsSigterm } from './jobs.js';
import { cli } from './run-cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-exit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the exit code never says success for a plan that did not complete', () => {
  it('a failing job under the default policy exits 1 and names the job', async () => {
    const file = await planFile(dir, 'fail.json', {
      id: 'ci',
      jobs: [
        { id: 'build', run: node('process.exit(3)') },
        { id: 'deploy', dependsOn: ['build'], run: node('') },
      ],
    });
    const result = await cli(['run', file, '--reporter', 'plain']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/build: failed \(job_failed\): ".*" exited with code 3/);
    expect(result.stdout).toContain('Plan "ci" failed: 1 failed, 1 blocked');
  });

  it('a job whose retries ran out under the default policy exits 1', async () => {
    const file = await planFile(dir, 'retries.json', {
      id: 'flaky',
      jobs: [
        {
          id: 'flaky',
          retry: { maxAttempts: 2, initialDelayMs: 1 },
          run: node('process.exit(1)'),
        },
      ],
    });
    const result = await cli(['run', file, '--reporter', 'plain']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('flaky: started (attempt 2)');
    expect(result.stdout).toContain('Plan "flaky" failed: 1 failed');
  });

  it('a command that cannot be started exits 1 under the default policy, saying why', async () => {
    const notExecutable = join(dir, 'script.sh');
    await writeFile(notExecutable, 'echo hi\n', { mode: 0o644 });
    const file = await planFile(dir, 'missing.json', {
      id: 'missing',
      onJobFailure: 'continue',
      jobs: [
        { id: 'tool', run: { command: 'no-such-command-here' } },
        { id: 'line', run: { command: 'no-such-command-here --flag' } },
        { id: 'plain', run: { command: notExecutable } },
      ],
    });
    const result = await cli(['run', file, '--reporter', 'plain']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'tool: failed (job_failed): Command not found: "no-such-command-here" (check its name and PATH)\n',
    );
    expect(result.stdout).toContain(
      'line: failed (job_failed): Command not found: "no-such-command-here --flag" (check its name and PATH; a command line with spaces needs shell: true, or the command alone and its args)\n',
    );
    expect(result.stdout).toContain(
      `plain: failed (job_failed): Command cannot be run: "${notExecutable}" is not a file this user may execute (EACCES)\n`,
    );
  });

  it('a pause nothing can act on exits 4, names the checkpoint, the job and its failure, and stops the running jobs', async () => {
    const pidFile = join(dir, 'sibling.pid');
    const file = await planFile(dir, 'stranded.json', {
      id: 'stranded',
      onJobFailure: 'pause',
      jobs: [
        { id: 'sibling', run: trapsSigterm(pidFile) },
        {
          id: 'broken',
          // Fails once the sibling runs, so that a job is running when the plan pauses.
          run: node(
            `const fs = require('fs'); const wait = () => fs.existsSync(${JSON.stringify(pidFile)}) ? process.exit(7) : setTimeout(wait, 10); wait()`,
          ),
        },
      ],
    });
    const result = await cli(['run', file, '--reporter', 'plain']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(
      /^stranded: plan "stranded" is paused at on_error: job "broken" failed \(job_failed\): ".*" exited with code 7$/m,
    );
    expect(result.stderr).toContain('(no --state-dir, no --inspect, not at a terminal)');
    expect(result.stderr).toContain('run with --state-dir <dir> and use plan-orchestrator retry');
    expect(result.stdout).toContain('plan paused at on_error');
    expect(existsSync(pidFile)).toBe(true);
    expect(stillRunning(pidFile)).toBe(false);
  });

  it('a sibling that ignores SIGTERM is killed before the command exits when the plan fails', async () => {
    const pidFile = join(dir, 'sibling.pid');
    const file = await planFile(dir, 'fail-fast.json', {
      id: 'fail-fast',
      jobs: [
        { id: 'sibling', run: trapsSigterm(pidFile) },
        {
          id: 'broken',
          run: node(
            `const fs = require('fs'); const wait = () => fs.existsSync(${JSON.stringify(pidFile)}) ? process.exit(1) : setTimeout(wait, 10); wait()`,
          ),
        },
      ],
    });
    const result = await cli(['run', file, '--reporter', 'plain']);
    expect(result.code).toBe(1);
    expect(existsSync(pidFile)).toBe(true);
    expect(stillRunning(pidFile)).toBe(false);
  });

  it('resume of a plan that already failed exits 1, of one that completed exits 0', async () => {
    const failed = await planFile(dir, 'failed.json', {
      id: 'failed',
      onJobFailure: 'fail',
      jobs: [{ id: 'a', run: node('process.exit(1)') }],
    });
    const failedState = join(dir, 'failed-state');
    expect((await cli(['run', failed, '--state-dir', failedState])).code).toBe(1);
    const again = await cli(['resume', failedState]);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('already failed') });

    const done = await planFile(dir, 'done.json', {
      id: 'done',
      jobs: [{ id: 'a', run: node('') }],
    });
    const doneState = join(dir, 'done-state');
    expect((await cli(['run', done, '--state-dir', doneState])).code).toBe(0);
    expect((await cli(['resume', doneState])).code).toBe(0);
  });
});
