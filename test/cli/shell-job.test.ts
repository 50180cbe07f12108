import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_LINE } from '../../src/cli/launcher-script.js';
import type { OutputLine } from '../../src/cli/shell-job.js';
import { shellJob } from '../../src/cli/shell-job.js';

/** True while a process with this pid runs; a zombie (dead, not yet reaped by init) does not. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('shell jobs', () => {
  it('stop the whole process tree when the job is aborted', async () => {
    // The command starts a grandchild that would run for a minute, prints its pid, and waits.
    const script = [
      "const { spawn } = require('child_process');",
      "const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });",
      'console.log(child.pid);',
      'setInterval(() => {}, 1000);',
    ].join(' ');
    const controller = new AbortController();
    let grandchild = 0;
    const job = shellJob({ command: process.execPath, args: ['-e', script] }, process.cwd(), {
      killGraceMs: 200,
    })({
      jobId: 'tree',
      attempt: 1,
      attemptId: 'tree#1',
      input: undefined,
      needs: {},
      signal: controller.signal,
      report: (progress) => {
        grandchild = Number((progress as OutputLine).line);
        controller.abort(new Error('stop'));
      },
    }) as Promise<unknown>;
    await expect(job).rejects.toThrow('stop');
    expect(grandchild).toBeGreaterThan(0);
    // The group got SIGTERM: wait (by turns of the event loop, bounded) until the grandchild is gone.
    for (let turn = 0; turn < 100_000 && alive(grandchild); turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(alive(grandchild)).toBe(false);
  });

  it('pass arguments verbatim and report each output line', async () => {
    const lines: string[] = [];
    const output = await shellJob(
      {
        command: process.execPath,
        args: ['-e', 'console.log(process.argv[1]); console.error("e")', '$(x) `y`; z'],
      },
      process.cwd(),
    )({
      jobId: 'args',
      attempt: 1,
      attemptId: 'args#1',
      input: undefined,
      needs: {},
      signal: new AbortController().signal,
      report: (progress) =>
        lines.push(`${(progress as OutputLine).stream}:${(progress as OutputLine).line}`),
    });
    expect(output).toEqual({ exitCode: 0 });
    expect(lines.sort()).toEqual(['stderr:e', 'stdout:$(x) `y`; z']);
  });
});

describe('shell jobs started by the launcher', () => {
  const runJob = async (code: string) => {
    const lines: string[] = [];
    await shellJob(
      { command: process.execPath, args: ['-e', code] },
      process.cwd(),
    )({
      jobId: 'launched',
      attempt: 1,
      attemptId: 'launched#1',
      input: undefined,
      needs: {},
      signal: new AbortController().signal,
      report: (progress) => lines.push((progress as OutputLine).line),
    });
    return lines;
  };

  it('are children of the launcher process, not of the process that runs the plan', async () => {
    const [parent] = await runJob('console.log(process.ppid)');
    expect(Number(parent)).toBeGreaterThan(1);
    expect(Number(parent)).not.toBe(process.pid);
  });

  it('fail saying so, their process groups killed, when the launcher dies; the next job starts a new one', async () => {
    let launcher = 0;
    let job = 0;
    const attempt = shellJob(
      {
        command: process.execPath,
        args: ['-e', 'console.log(process.ppid, process.pid); setInterval(() => {}, 1000)'],
      },
      process.cwd(),
    )({
      jobId: 'orphaned',
      attempt: 1,
      attemptId: 'orphaned#1',
      input: undefined,
      needs: {},
      signal: new AbortController().signal,
      report: (progress) => {
        [launcher, job] = (progress as OutputLine).line.split(' ').map(Number) as [number, number];
        process.kill(launcher, 'SIGKILL');
      },
    });
    await expect(attempt).rejects.toThrow('the job launcher process ended unexpectedly (SIGKILL)');
    for (let turn = 0; turn < 100_000 && alive(job); turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(alive(job)).toBe(false);
    const [next] = await runJob('console.log(process.ppid)');
    expect(Number(next)).not.toBe(launcher);
  });

  it('report lines ended by \\n, \\r\\n or \\r, and a last line without an ending', async () => {
    expect(await runJob(String.raw`process.stdout.write('a\r\nb\rc\n\nd')`)).toEqual([
      'a',
      'b',
      'c',
      '',
      'd',
    ]);
  });

  it('report a line longer than MAX_LINE in pieces of that length, never splitting a character', async () => {
    const long = String.raw`process.stdout.write('a'.repeat(${MAX_LINE} * 2 + 5) + '\n' + 'b'.repeat(${MAX_LINE}) + '\n' + 'c'.repeat(${MAX_LINE} - 1) + '😀' + 'd')`;
    const lines = await runJob(long);
    expect(lines.map((line) => line.length)).toEqual([
      MAX_LINE,
      MAX_LINE,
      5,
      MAX_LINE,
      MAX_LINE - 1,
      3,
    ]);
    expect(lines.slice(0, 3).join('')).toBe('a'.repeat(MAX_LINE * 2 + 5));
    expect(lines.slice(4).join('')).toBe(`${'c'.repeat(MAX_LINE - 1)}😀d`);
  });
});

describe('a shell job whose folder went away', () => {
  it('fails saying the folder is missing, not that the command was not found', async () => {
    const cwd = join(tmpdir(), `plan-orchestrator-gone-${process.pid}`);
    const job = shellJob({ command: process.execPath, args: ['-e', ''] }, cwd, {
      killGraceMs: 200,
    });
    const attempt = job({
      jobId: 'gone',
      attempt: 1,
      attemptId: 'gone#1',
      input: undefined,
      needs: {},
      signal: new AbortController().signal,
      report: () => {},
    });
    await expect(attempt).rejects.toThrow(`Folder not found: cwd ${cwd} does not exist`);
  });
});
