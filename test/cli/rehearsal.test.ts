import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readmeYaml } from './readme-blocks.js';
import { cli } from './run-cli.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-rehearsal-'));
  file = join(dir, 'plan.yaml');
  // The README's example.
  await writeFile(file, await readmeYaml('rehearsal'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The README's transcript of `command`: the lines after `$ plan-orchestrator <command>`, up to the next `$`. */
async function readmeTranscript(command: string): Promise<string> {
  const readme = await readFile(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf(`$ plan-orchestrator ${command}\n`);
  if (start < 0) throw new Error(`README.md has no transcript of ${command}`);
  const rest = readme.slice(start).split('\n').slice(1);
  const end = rest.findIndex((line) => line.startsWith('$ ') || line.startsWith('```'));
  return `${rest.slice(0, end).join('\n')}\n`;
}

const started = (stdout: string) =>
  [...stdout.matchAll(/^\[[ \d.]+s\] (\S+): started/gm)].map((m) => m[1]);

describe('run --dry-run', () => {
  it("prints the README's start order and commands, exits 0, runs nothing and writes no state folder", async () => {
    const stateDir = join(dir, 'state');
    const marker = join(dir, 'ran');
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace('[lint]', `[lint, ">", "${marker}"]`),
    );
    const result = await cli(['run', file, '--dry-run', '--state-dir', stateDir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      (await readmeTranscript('run plan.yaml --dry-run')).replace(
        'lint: echo lint',
        `lint: echo lint ">" ${marker}`,
      ),
    );
    expect(await readdir(dir)).toEqual(['plan.yaml']);
  });

  it('starts at most maxParallel jobs per step, higher priority first', async () => {
    await writeFile(
      file,
      [
        'id: wide',
        'maxParallel: 2',
        'jobs:',
        ...['a', 'b', 'c', 'd'].map((id) => `  - { id: ${id}, run: { command: "true" } }`),
        '  - { id: urgent, priority: 5, run: { command: "true" } }',
      ].join('\n'),
    );
    const result = await cli(['run', file, '--dry-run']);
    expect(result.stdout).toContain('  step 1: urgent, a\n  step 2: b, c\n  step 3: d\n');
  });

  it('starts all 600 jobs in one step with maxParallel 600', async () => {
    const jobs = Array.from(
      { length: 600 },
      (_, i) => `  - { id: j${i}, run: { command: "true" } }`,
    );
    await writeFile(file, ['id: wide', 'maxParallel: 600', 'jobs:', ...jobs].join('\n'));
    const result = await cli(['run', file, '--dry-run']);
    expect(result.stdout).toContain('600 jobs, at most 600 at once');
    const all = Array.from({ length: 600 }, (_, i) => `j${i}`).join(', ');
    expect(result.stdout).toContain(`  step 1: ${all}\n`);
    expect(result.stdout).not.toContain('step 2:');
  });

  it('needs no secret: a fromEnv value is shown by its name', async () => {
    await writeFile(
      file,
      'id: secret\njobs:\n  - { id: a, run: { command: "true", env: { TOKEN: { fromEnv: DRY_RUN_UNSET_TOKEN } } } }\n',
    );
    const env = { ...process.env };
    delete env.DRY_RUN_UNSET_TOKEN;
    const result = await cli(['run', file, '--dry-run'], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('  a: true\n    env TOKEN=<from $DRY_RUN_UNSET_TOKEN>\n');
  });

  it('reports the problems of a plan file and exits 2, as run does', async () => {
    await writeFile(
      file,
      'id: broken\njobs:\n  - { id: a, dependsOn: [zz], run: { command: "true" } }\n',
    );
    const result = await cli(['run', file, '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown job "zz"');
  });
});

describe('run --only and --from', () => {
  it('--only runs the named job and its dependencies, nothing else', async () => {
    const result = await cli(['run', file, '--only', 'test', '--reporter', 'plain']);
    expect(result.code).toBe(0);
    expect(started(result.stdout)).toEqual(['build', 'test']);
    expect(result.stdout).toContain('test | testing 1.2');
  });

  it('--from runs that job and its dependents, counting its dependencies as done', async () => {
    const result = await cli(['run', file, '--from', 'package', '--reporter', 'plain']);
    expect(result.code).toBe(0);
    expect(started(result.stdout)).toEqual(['package']);
  });

  it('refuses --from when a selected job reads an output of a job left out, as the README shows', async () => {
    const result = await cli(['run', file, '--from', 'test']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(await readmeTranscript('run plan.yaml --from test'));
  });

  it('names an unknown job with a did-you-mean and exits 2', async () => {
    const result = await cli(['run', file, '--only', 'lint,tset']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error USAGE --only: there is no job "tset" in plan "rehearsal"; did you mean "test"?\n',
    );
  });

  it('resume goes on with the jobs run picked, after a crash', async () => {
    const stateDir = join(dir, 'state');
    const marker = join(dir, 'once');
    const plan = (await readFile(file, 'utf8')).replace(
      '{ command: echo, args: [package] }',
      // The marker exists before the line that stops the run is printed.
      `{ command: 'test -e ${marker} || { touch ${marker}; echo packing; sleep 60; }', shell: true }`,
    );
    await writeFile(file, plan);
    const args = ['--reporter', 'plain'];
    const first = await cli(['run', file, '--from', 'package', '--state-dir', stateDir, ...args], {
      onLine: (line, child) => {
        if (line.includes('package | packing')) child.kill('SIGTERM');
      },
    });
    expect(first.code).toBe(143);
    const again = await cli(['resume', stateDir, ...args]);
    expect(again.code).toBe(0);
    expect(started(again.stdout)).toEqual(['package']);
  });
});

describe('reuse in plan files', () => {
  it('gives jobs the defaults they lack (env merged per name), merge keys and x- fields', async () => {
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace(
        '{ command: echo, args: [lint] }',
        `{ command: sh, args: [-c, 'echo "lint in $STAGE"'] }`,
      ),
    );
    const result = await cli(['run', file, '--reporter', 'plain']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('build | build in ci');
    expect(result.stdout).toContain('lint | lint in ci');
  });

  it('retries a job whose retry comes from a merge key', async () => {
    const counter = join(dir, 'count');
    await writeFile(
      file,
      [
        'id: merged',
        'x-retried: &retried',
        '  retry: { maxAttempts: 2, initialDelayMs: 0 }',
        'jobs:',
        '  - id: flaky',
        '    <<: *retried',
        `    run: { command: 'test -e ${counter} || { touch ${counter}; exit 1; }', shell: true }`,
      ].join('\n'),
    );
    const result = await cli(['run', file, '--reporter', 'plain']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('flaky: started (attempt 2)');
  });

  it('reports a bad value of defaults once, at its line in defaults', async () => {
    await mkdir(join(dir, 'sub'));
    await writeFile(
      file,
      [
        'id: bad-defaults',
        'defaults:',
        '  timeoutMs: 0',
        '  retrys: 3',
        'jobs:',
        '  - { id: a, run: { command: "true" } }',
        '  - { id: b, run: { command: "true" } }',
      ].join('\n'),
    );
    const result = await cli(['validate', file]);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/plan\.yaml:3:14 error \S+ .*timeoutMs/);
    expect(lines[1]).toMatch(
      /plan\.yaml:4:3 error INVALID_OPTION unknown field "retrys"; did you mean "retry"\?/,
    );
  });
});
