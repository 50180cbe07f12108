import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const node = (code: string) => ({ command: process.execPath, args: ['-e', code] });

async function planFile(name: string, plan: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, typeof plan === 'string' ? plan : JSON.stringify(plan, null, 2));
  return file;
}

describe('plan-orchestrator run', () => {
  it('runs a diamond of shell commands and reports each event as JSON lines', async () => {
    const file = await planFile('diamond.json', {
      id: 'diamond',
      jobs: [
        { id: 'a', run: node("console.log('a')") },
        { id: 'b', dependsOn: ['a'], run: node("console.log('b')") },
        { id: 'c', dependsOn: ['a'], run: node("console.log('c')") },
        { id: 'd', dependsOn: ['b', 'c'], run: node("console.log('d')") },
      ],
    });
    const result = await cli(['run', file, '--reporter', 'jsonl']);
    expect(result.code).toBe(0);
    const records = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const order = records.filter((r) => r.type === 'job-succeeded').map((r) => r.jobId);
    expect(order[0]).toBe('a');
    expect(order.slice(1, 3).sort()).toEqual(['b', 'c']);
    expect(order[3]).toBe('d');
    const started = records.findIndex((r) => r.type === 'attempt-started' && r.jobId === 'd');
    expect(started).toBeGreaterThan(
      records.findLastIndex((r) => r.type === 'job-succeeded' && r.jobId !== 'd'),
    );
    expect(
      records
        .filter((r) => r.type === 'job-progress')
        .map((r) => r.progress.line)
        .sort(),
    ).toEqual(['a', 'b', 'c', 'd']);
    expect(records.at(-1).type).toBe('plan-completed');
  });

  it('passes arguments to the command verbatim: nothing is interpreted by a shell', async () => {
    const attempts = [
      '; touch PWNED1',
      '$(touch PWNED2)',
      '`touch PWNED3`',
      'x\ntouch PWNED4',
      '&& touch PWNED5',
      '"; touch PWNED6; "',
    ];
    const file = await planFile('inject.yaml', {
      id: 'inject',
      jobs: [
        {
          id: 'echo',
          run: {
            command: process.execPath,
            args: ['-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...attempts],
          },
        },
      ],
    });
    const result = await cli(['run', file, '--reporter', 'jsonl'], { cwd: dir });
    expect(result.code).toBe(0);
    const output = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .find((r) => r.type === 'job-progress');
    expect(JSON.parse(output.progress.line)).toEqual(attempts);
    expect((await readdir(dir)).filter((name) => name.startsWith('PWNED'))).toEqual([]);
  });

  it('exits 1 when the plan fails, naming the command and its exit code', async () => {
    const file = await planFile('fail.json', {
      id: 'fail',
      onJobFailure: 'continue',
      jobs: [
        { id: 'broken', run: node('process.exit(3)') },
        { id: 'missing', run: { command: 'no-such-command-here' } },
      ],
    });
    const result = await cli(['run', file, '--reporter', 'plain']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/broken: failed \(job_failed\): ".*" exited with code 3/);
    expect(result.stdout).toContain(
      'missing: failed (job_failed): Command not found: "no-such-command-here" (check its name and PATH)',
    );
    expect(result.stdout).toContain('Plan "fail" failed: 2 failed');
  });

  it('rejects a bad --max-parallel with exit 2, written in digits or not (0x10, 1e3)', async () => {
    const file = await planFile('ok.json', { id: 'ok', jobs: [{ id: 'a', run: node('') }] });
    for (const value of ['0', '0x10', '1e3', ' 2']) {
      const result = await cli(['run', file, '--max-parallel', value]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `--max-parallel must be an integer from 1 to 1000000; got "${value}"`,
      );
    }
  });
});

describe('the main example (npm start)', () => {
  it('runs examples/release.yaml to completion, retrying the flaky job once', async () => {
    const result = await cli([
      'run',
      join(import.meta.dirname, '..', '..', 'examples', 'release.yaml'),
      '--reporter',
      'plain',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('integration-tests | database not ready');
    expect(result.stdout).toContain('integration-tests: started (attempt 2)');
    expect(result.stdout).toContain('publish | published v1.2.3');
    expect(result.stdout).toContain('Plan "release" completed: 7 succeeded');
  });
});

describe('plan-orchestrator validate', () => {
  const cases: Array<[string, string, string[]]> = [
    [
      'duplicate-keys.yaml',
      'id: p\njobs:\n  - id: a\n    id: b\n    run: { command: ls }\n',
      ['duplicate-keys.yaml:4:5 error YAML_DUPLICATE_KEY Map keys must be unique'],
    ],
    [
      'unknown-tag.yaml',
      'id: p\njobs:\n  - id: a\n    run: !shell ls\n',
      ['unknown-tag.yaml:4:10 error YAML_TAG_RESOLVE_FAILED Unresolved tag: !shell'],
    ],
    [
      'duplicate-keys.json',
      '{ "id": "p", "id": "q", "jobs": [] }\n',
      ['duplicate-keys.json:1:14 error YAML_DUPLICATE_KEY Map keys must be unique'],
    ],
    [
      'mistakes.yaml',
      [
        'id: p',
        'maxParallel: 1.5',
        'jobs:',
        '  - id: build',
        '    run: { command: make }',
        '  - id: test',
        '    depends_on: [build]',
        '    run: { command: make, args: [test] }',
        '  - id: lint',
        '    dependsOn: [bulid]',
        '    run: { comand: eslint }',
        '  - id: sh',
        '    run: { command: "echo hi", shell: true, args: [x] }',
        '  - id: away',
        '    run: { command: ls, cwd: ../.. }',
        '',
      ].join('\n'),
      [
        'mistakes.yaml:2:14 error INVALID_OPTION maxParallel must be an integer from 1 to 1000000; got 1.5 (number)',
        'mistakes.yaml:7:5 error INVALID_OPTION unknown field "depends_on"; did you mean "dependsOn"?',
        'mistakes.yaml:10:17 error UNKNOWN_DEPENDENCY Job "lint" depends on unknown job "bulid"; did you mean "build"?',
        'mistakes.yaml:11:10 error INVALID_RUN command must be a non-empty string; got undefined',
        'mistakes.yaml:11:12 error INVALID_RUN unknown field "comand"; did you mean "command"?',
        'mistakes.yaml:13:51 error INVALID_RUN args cannot be used with shell: true (the command is a shell string then); put everything in command, or drop shell',
        'mistakes.yaml:15:30 error INVALID_RUN cwd "../.." is outside the plan\'s folder; pass --allow-outside-cwd to allow it',
      ],
    ],
  ];
  for (const [name, text, expected] of cases) {
    it(`reports every problem of ${name} with its position, and exits 2`, async () => {
      await planFile(name, text);
      const result = await cli(['validate', name], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toEqual(expected);
    });
  }

  it('accepts a valid plan', async () => {
    const file = await planFile('ok.yaml', 'id: ok\njobs:\n  - id: a\n    run: { command: ls }\n');
    const result = await cli(['validate', file]);
    expect(result).toMatchObject({ code: 0, stdout: `${file}: valid plan "ok" with 1 job\n` });
  });
});

describe('plan-orchestrator graph', () => {
  it('prints a Mermaid flowchart and a DOT digraph', async () => {
    const file = await planFile(
      'g.yaml',
      'id: g\njobs:\n  - id: a\n    run: { command: ls }\n  - id: b\n    dependsOn: [a]\n    run: { command: ls }\n',
    );
    expect((await cli(['graph', file])).stdout).toBe(
      'flowchart LR\n  j0["a"]\n  j1["b"]\n  j0 --> j1\n',
    );
    expect((await cli(['graph', file, '--format', 'dot'])).stdout).toContain('"a" -> "b";');
  });
});

describe('SIGINT and resume', () => {
  it('stops the running command on Ctrl-C with exit 130, and resume finishes the plan', async () => {
    const marker = join(dir, 'second-attempt');
    const file = await planFile('long.json', {
      id: 'long',
      jobs: [
        { id: 'quick', run: node("console.log('quick done')") },
        {
          id: 'slow',
          dependsOn: ['quick'],
          // The first run waits until it is stopped; a run after a resume finishes at once.
          run: node(
            `const fs = require('fs'); if (fs.existsSync(${JSON.stringify(marker)})) { console.log('finished') } else { fs.writeFileSync(${JSON.stringify(marker)}, ''); console.log('waiting'); setInterval(() => {}, 1000) }`,
          ),
        },
      ],
    });
    const stateDir = join(dir, 'state');
    const first = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
      onLine: (line, child) => {
        if (line.includes('slow | waiting')) child.kill('SIGINT');
      },
    });
    expect(first.code).toBe(130);
    expect(first.stderr).toContain('interrupted: stopping the running jobs');

    const status = await cli(['status', stateDir]);
    expect(status.stdout).toMatch(/quick\s+succeeded/);
    expect(status.stdout).toMatch(/slow\s+running/);

    const second = await cli(['resume', stateDir, '--reporter', 'plain']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('slow: attempt slow#1 was interrupted; it runs again');
    expect(second.stdout).toContain('slow | finished');
    expect(second.stdout).not.toContain('quick: started');
  });

  it('exits 3 when the state folder cannot be read', async () => {
    const result = await cli(['resume', join(dir, 'nothing-here')]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('error RESTORE_FAILED Cannot restore from');
  });
});

describe('control commands from a second process', () => {
  it('approve a copilot plan waiting at start; rejections and a wrong token are answered', async () => {
    const file = await planFile('copilot.json', {
      id: 'co',
      mode: 'copilot',
      jobs: [{ id: 'a', run: node("console.log('ran')") }],
    });
    const stateDir = join(dir, 'state');
    let control: Promise<unknown> = Promise.resolve();
    const running = cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
      onLine: (line) => {
        if (!line.includes('plan paused at start')) return;
        control = (async () => {
          expect((await stat(join(stateDir, 'control.token'))).mode & 0o777).toBe(0o600);
          const retry = await cli(['retry', 'a', '--state-dir', stateDir]);
          expect(retry).toMatchObject({
            code: 1,
            stderr:
              'RETRY_JOB rejected: Job "a" is not failed (status: queued); RETRY_JOB rejected\n',
          });
          const forged = await new Promise<string>((resolve) => {
            const socket = createConnection(join(stateDir, 'control.sock'));
            socket.end(`${JSON.stringify({ token: 'guess', command: { type: 'CANCEL' } })}\n`);
            socket.on('data', (data) => resolve(String(data)));
          });
          expect(JSON.parse(forged)).toEqual({
            accepted: false,
            reason: 'wrong or missing control token',
          });
          expect(
            await cli(['approve', '--state-dir', stateDir, '--checkpoint', 'start']),
          ).toMatchObject({ code: 0, stdout: 'APPROVE accepted\n' });
        })();
      },
    });
    const result = await running;
    await control;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('a | ran');
    // The token exists only while the plan runs.
    await expect(stat(join(stateDir, 'control.token'))).rejects.toThrow('ENOENT');
  });

  it('say when no plan is running there, with exit 3', async () => {
    const result = await cli(['cancel', '--state-dir', join(dir, 'none')]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('no control.token');
  });
});

describe('verify commands', () => {
  it('accept a result when they exit 0 and fail the job with their output otherwise', async () => {
    const file = await planFile('verify.json', {
      id: 'verified',
      onJobFailure: 'continue',
      jobs: [
        { id: 'good', run: node("console.log('x')"), verify: node('process.exit(0)') },
        {
          id: 'bad',
          run: node("console.log('y')"),
          verify: node("console.error('checksum mismatch'); process.exit(2)"),
        },
      ],
    });
    const result = await cli(['run', file, '--reporter', 'jsonl']);
    expect(result.code).toBe(1);
    const records = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.find((r) => r.type === 'job-succeeded')?.jobId).toBe('good');
    const failed = records.find((r) => r.type === 'job-failed');
    expect(failed).toMatchObject({ jobId: 'bad', kind: 'verification' });
    expect(failed.violations[0]).toMatch(/exited with code 2$/);
    expect(failed.violations[1]).toBe('checksum mismatch');
  });
});

describe('statechart diagrams', () => {
  it('show the reconcile pair of the plan machine', async () => {
    const result = await cli(['graph', '--machine', 'plan']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('running_idle --> running_reconciling: JOB_COMPLETED');
    expect(result.stdout).toContain('running_triage --> running_reconciling: always [dirty]');
    expect(result.stdout).toContain(
      'running_reconciling --> running_reconcilePending: always [dirty]',
    );
    expect(result.stdout).toContain(
      'running_reconcilePending --> running_idle: always [clearToLaunch]',
    );
  });

  it('ask for a file or a machine', async () => {
    expect(await cli(['graph'])).toMatchObject({
      code: 2,
      stderr: 'graph needs a plan file, or --machine plan|job|integration\n',
    });
  });
});
