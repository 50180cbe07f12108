import { execFileSync, spawn } from 'node:child_process';
import { closeSync, createReadStream, existsSync, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { node, planFile, stillRunning, trapsSigterm } from './jobs.js';
import { cli, cliArgv } from './run-cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-signal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A plan whose job waits until stopped the first time (printing a line every 50 ms with
 * `ticks`), and finishes at once when run again.
 */
async function stoppablePlan(pidFile: string, traps: boolean, ticks = false) {
  const marker = join(dir, 'ran-once');
  const wait = traps ? "process.on('SIGTERM', () => {});" : '';
  const idle = ticks ? "setInterval(() => console.log('tick'), 50)" : 'setInterval(() => {}, 1000)';
  return planFile(dir, 'plan.json', {
    id: 'stoppable',
    jobs: [
      { id: 'quick', run: node("console.log('quick done')") },
      {
        id: 'slow',
        dependsOn: ['quick'],
        run: node(
          `const fs = require('fs'); if (fs.existsSync(${JSON.stringify(marker)})) { console.log('finished') } else { ${wait} fs.writeFileSync(${JSON.stringify(marker)}, ''); fs.writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); console.log('ready'); ${idle} }`,
        ),
      },
    ],
  });
}

const exitCodes = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;

describe('signals with --state-dir', () => {
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} stops the job's process, exits ${exitCodes[signal]} with a message, and resume runs the job again beside no orphan`, async () => {
      const pidFile = join(dir, 'slow.pid');
      const file = await stoppablePlan(pidFile, signal === 'SIGTERM');
      const stateDir = join(dir, 'state');
      const first = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
        onLine: (line, child) => {
          if (line.includes('slow | ready')) child.kill(signal);
        },
      });
      expect(first.code).toBe(exitCodes[signal]);
      expect(first.stderr).toContain(`interrupted: stopping the running jobs (${signal}`);
      expect(first.stderr).toContain(
        `stopped by ${signal}: what was recorded is in ${stateDir}; plan-orchestrator resume ${stateDir} goes on from there`,
      );
      expect(stillRunning(pidFile)).toBe(false);
      expect(existsSync(join(stateDir, 'control.token'))).toBe(false);
      expect(existsSync(join(stateDir, 'control.sock'))).toBe(false);

      const second = await cli(['resume', stateDir, '--reporter', 'plain']);
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('slow: attempt slow#1 was interrupted; it runs again');
      expect(second.stdout).toContain('slow | finished');
    });
  }
});

describe('signals without --state-dir', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} cancels the plan, kills a job that ignores SIGTERM and exits ${exitCodes[signal]}`, async () => {
      const pidFile = join(dir, 'job.pid');
      const file = await planFile(dir, 'plan.json', {
        id: 'cancel-me',
        jobs: [{ id: 'stubborn', run: trapsSigterm(pidFile) }],
      });
      const result = await cli(['run', file, '--reporter', 'plain'], {
        onLine: (line, child) => {
          if (line.includes('stubborn | ready')) child.kill(signal);
        },
      });
      expect(result.code).toBe(exitCodes[signal]);
      expect(result.stderr).toContain(`stopped by ${signal}: the plan was canceled`);
      expect(result.stdout).toContain(`plan canceled: stopped by ${signal}`);
      expect(stillRunning(pidFile)).toBe(false);
    });
  }
});

describe('a second signal', () => {
  it('kills a job that ignores SIGTERM at once and exits with the second signal', async () => {
    const pidFile = join(dir, 'slow.pid');
    const file = await stoppablePlan(pidFile, true);
    const stateDir = join(dir, 'state');
    let sentSecond = false;
    const result = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
      onLine: (line, child) => {
        if (line.includes('slow | ready')) child.kill('SIGTERM');
      },
      onStderr: (stderr, child) => {
        if (sentSecond || !stderr.includes('interrupted: stopping the running jobs')) return;
        sentSecond = true;
        child.kill('SIGINT');
      },
    });
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('SIGINT again: killing every running job at once');
    expect(stillRunning(pidFile)).toBe(false);
    expect(existsSync(join(stateDir, 'control.token'))).toBe(false);
    const resumed = await cli(['resume', stateDir, '--reporter', 'plain']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('slow | finished');
  });
});

describe('a SIGKILL of the command', () => {
  it("leaves no job process behind: the job launcher stops each job's group, SIGKILL after the grace for one that ignores SIGTERM", async () => {
    // Each job holds the writing end of a FIFO: the test reads end-of-file once every process
    // holding it is gone, without polling.
    const fifo = join(dir, 'held-by-jobs');
    execFileSync('mkfifo', [fifo]);
    const allGone = new Promise<void>((resolve, reject) => {
      createReadStream(fifo).on('end', resolve).on('error', reject).resume();
    });
    const holdsFifo = (trapsTerm: boolean) =>
      node(
        `${trapsTerm ? "process.on('SIGTERM', () => {});" : ''} require('fs').openSync(${JSON.stringify(fifo)}, 'w'); console.log('ready'); setInterval(() => {}, 1000)`,
      );
    const file = await planFile(dir, 'plan.json', {
      id: 'killed',
      jobs: [
        { id: 'polite', run: holdsFifo(false) },
        { id: 'stubborn', run: holdsFifo(true) },
      ],
    });
    let ready = 0;
    const result = await cli(['run', file, '--reporter', 'plain'], {
      onLine: (line, child) => {
        if (line.endsWith('| ready') && ++ready === 2) child.kill('SIGKILL');
      },
    });
    expect(result.code).toBeNull(); // killed
    await allGone;
  });
});

/** What a run with a state folder says on stderr when it stops because stdout cannot be written. */
const stoppedBySigpipe = (stateDir: string) =>
  `interrupted: stopping the running jobs (SIGPIPE: stdout can no longer be written)\nstopped by SIGPIPE: what was recorded is in ${stateDir}; plan-orchestrator resume ${stateDir} goes on from there\n`;

describe('a stdout whose reader went away (`run … | head -1`)', () => {
  it('stops the run as a signal does: the job is stopped, the exit is 141 and resume goes on', async () => {
    const pidFile = join(dir, 'slow.pid');
    const file = await stoppablePlan(pidFile, false, true);
    const stateDir = join(dir, 'state');
    const first = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
      onLine: (line, child) => {
        // The reader goes away; the command's next line meets a closed pipe.
        if (line.includes('slow | ready')) child.stdout!.destroy();
      },
    });
    expect(first.code).toBe(141);
    expect(first.stderr).toBe(stoppedBySigpipe(stateDir));
    expect(stillRunning(pidFile)).toBe(false);
    const resumed = await cli(['resume', stateDir, '--reporter', 'plain']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('slow | finished');
  });

  it('stops the run the same way when stdout is a full disk (/dev/full)', async () => {
    const file = await planFile(dir, 'plan.json', {
      id: 'quick',
      jobs: [{ id: 'quick', run: node("console.log('quick done')") }],
    });
    const stateDir = join(dir, 'state');
    const full = openSync('/dev/full', 'w');
    const [nodePath, ...argv] = cliArgv([
      'run',
      file,
      '--state-dir',
      stateDir,
      '--reporter',
      'plain',
    ]);
    const child = spawn(nodePath!, argv, { stdio: ['ignore', full, 'pipe'] });
    closeSync(full);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(141);
    expect(stderr).toBe(stoppedBySigpipe(stateDir));
    const resumed = await cli(['resume', stateDir, '--reporter', 'plain']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('Plan "quick" completed');
  });

  it('ends a command that only reads with exit 141 and nothing on stderr', async () => {
    const file = await planFile(dir, 'plan.json', {
      id: 'many',
      jobs: Array.from({ length: 3000 }, (_, i) => ({ id: `job-${i}`, run: node('') })),
    });
    const result = await cli(['graph', file], {
      onStart: (child) => child.stdout!.destroy(),
    });
    expect(result).toMatchObject({ code: 141, stderr: '' });
  });
});

describe('a terminal closed under the command (its window or SSH session gone)', () => {
  it('stops the run as SIGHUP does and ends without a crash, though every write now fails', async () => {
    const pidFile = join(dir, 'slow.pid');
    const file = await planFile(dir, 'plan.json', {
      id: 'at-terminal',
      jobs: [{ id: 'slow', run: trapsSigterm(pidFile) }],
    });
    const stateDir = join(dir, 'state');
    // The command's stderr goes to a FIFO, read to its end: the command (and its job launcher)
    // ended. Its stdin and stdout are the terminal script(1) gives it; killing script closes it.
    const stderrPath = join(dir, 'stderr');
    execFileSync('mkfifo', [stderrPath]);
    const stderr = new Promise<string>((resolve, reject) => {
      let text = '';
      createReadStream(stderrPath, 'utf8')
        .on('data', (chunk) => {
          text += chunk;
        })
        .on('end', () => resolve(text))
        .on('error', reject);
    });
    const quoted = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;
    const command = cliArgv(['run', file, '--state-dir', stateDir, '--reporter', 'plain']);
    const terminal = spawn(
      'script',
      ['-qfc', `exec ${command.map(quoted).join(' ')} 2>${quoted(stderrPath)}`, '/dev/null'],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let shown = '';
    terminal.stdout.on('data', (chunk: Buffer) => {
      shown += chunk;
      if (shown.includes('slow | ready')) terminal.kill('SIGKILL');
    });
    expect(await stderr).toBe(
      `interrupted: stopping the running jobs (SIGHUP; send it again to kill them at once)\nstopped by SIGHUP: what was recorded is in ${stateDir}; plan-orchestrator resume ${stateDir} goes on from there\n`,
    );
    expect(stillRunning(pidFile)).toBe(false);
    const status = await cli(['status', stateDir]);
    expect(status.stdout).toContain('Jobs: 1 (1 running)');
  });
});
