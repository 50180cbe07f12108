import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readmeYaml } from './readme-blocks.js';
import { cli } from './run-cli.js';

const root = join(import.meta.dirname, '..', '..');
const entry = join(root, 'src', 'cli', 'main.ts');
const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;

/**
 * The command run inside a pseudo-terminal (util-linux `script`), as a person at a terminal runs
 * it: `answer` types a line once `prompt` has appeared in what it printed since the last answer.
 */
function atTerminal(args: string[]) {
  const command = [process.execPath, '--import', tsx, entry, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let seen = 0;
  let waiting: { text: string; found: () => void } | null = null;
  const check = () => {
    if (waiting && output.indexOf(waiting.text, seen) >= 0) {
      seen = output.indexOf(waiting.text, seen) + waiting.text.length;
      const { found } = waiting;
      waiting = null;
      found();
    }
  };
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk;
    check();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    /** Waits for `text` to be printed after what was seen so far. */
    waitFor(text: string) {
      return new Promise<void>((resolve) => {
        waiting = { text, found: resolve };
        check();
      });
    },
    async answer(prompt: string, line: string) {
      await this.waitFor(prompt);
      child.stdin.write(`${line}\n`);
    },
    async exit() {
      const code = await exited;
      return { code, output };
    },
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-terminal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A plan whose job "build" fails until the file `fixed` exists, and pauses then. */
async function failingPlan() {
  const file = join(dir, 'plan.yaml');
  const fixed = join(dir, 'fixed');
  await writeFile(
    file,
    [
      'id: at-terminal',
      'onJobFailure: pause',
      'jobs:',
      '  - id: build',
      `    run: { command: sh, args: [-c, 'echo compiling; test -e ${fixed} || { echo "error: broken"; exit 3; }'] }`,
      '  - id: docs',
      '    run: { command: echo, args: [docs] }',
    ].join('\n'),
  );
  return { file, fixed };
}

const plain = ['--reporter', 'plain'];

describe('decisions at the terminal', () => {
  it('asks at pre_run; approve there lets the job run and the plan complete', async () => {
    const file = join(dir, 'plan.yaml');
    await writeFile(file, await readmeYaml('gated-deploy'));
    const run = atTerminal(['run', file, ...plain]);
    await run.waitFor('paused at pre_run (job "deploy" requires approval to start)');
    await run.answer('decide: ', 'approve');
    const { code, output } = await run.exit();
    expect(output).toContain('APPROVE accepted');
    expect(output).toContain('deploy | deployed');
    expect(code).toBe(0);
  });

  it("shows the failure and the job's last lines; retry runs it again and the plan completes", async () => {
    const { file, fixed } = await failingPlan();
    const run = atTerminal(['run', file, ...plain]);
    await run.waitFor('paused at on_error: job "build" failed (job_failed)');
    await run.waitFor('last lines of job "build":\r\n  | compiling\r\n  | error: broken');
    await writeFile(fixed, '');
    await run.answer('decide: ', 'r');
    const { code, output } = await run.exit();
    expect(output).toContain('RETRY_JOB accepted');
    expect(output).toContain('build: started (attempt 2)');
    expect(output).toContain('Plan "at-terminal" completed: 2 succeeded');
    expect(code).toBe(0);
  });

  it('skip there skips the failed job', async () => {
    const { file } = await failingPlan();
    const run = atTerminal(['run', file, ...plain]);
    await run.answer('decide: ', 'skip');
    const { code, output } = await run.exit();
    expect(output).toContain('SKIP_JOB accepted');
    expect(output).toMatch(/Plan "at-terminal" \w+: 1 succeeded, 1 skipped/);
    expect(code).toBe(0);
  });

  it('cancel there cancels the plan: exit 1', async () => {
    const { file } = await failingPlan();
    const run = atTerminal(['run', file, ...plain]);
    await run.answer('decide: ', 'c');
    const { code, output } = await run.exit();
    expect(output).toContain('CANCEL accepted');
    expect(code).toBe(1);
  });

  it('asks again after an answer it does not know', async () => {
    const { file } = await failingPlan();
    const run = atTerminal(['run', file, ...plain]);
    await run.answer('decide: ', 'maybe');
    await run.waitFor('answer one of retry, skip, approve, cancel');
    await run.answer('decide: ', 'cancel');
    expect((await run.exit()).code).toBe(1);
  });

  it('without a terminal the same pause is stranded: exit 4, nothing asked', async () => {
    const { file } = await failingPlan();
    const result = await cli(['run', file, ...plain]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('stranded: plan "at-terminal" is paused at on_error');
    expect(result.stdout).not.toContain('decide: ');
  });
});
