import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/index.js';
import { fileHolds } from '../support/file-holds.js';

const child = join(import.meta.dirname, 'support', 'durable-child.ts');
const JOBS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  // A child left behind by a failed test is stopped here, never left running.
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Runs the child; kills it with SIGKILL after it printed `killAfter` lines of starts. */
function runChild(
  mode: 'run' | 'resume',
  stateDir: string,
  markerDir: string,
  killAfter: number | null,
) {
  const process_: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', child, mode, stateDir, markerDir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise<{ killed: boolean; last: string }>((resolve) => {
    let starts = 0;
    let last = '';
    createInterface({ input: process_.stdout! }).on('line', (line) => {
      last = line;
      if (line.startsWith('started ') && killAfter !== null && ++starts === killAfter)
        process_.kill('SIGKILL');
    });
    process_.on('exit', (_code, signal) => resolve({ killed: signal === 'SIGKILL', last }));
  });
}

/** A small deterministic generator, so a failing run can be repeated. */
function* seeded(seed: number) {
  let state = seed;
  for (;;) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    yield state;
  }
}

describe('a plan in a real process killed with SIGKILL', () => {
  it('resumes after every kill; each job runs at least once, and at most once more per kill', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'sigkill-state-'));
    const markerDir = await mkdtemp(join(tmpdir(), 'sigkill-markers-'));
    dirs.push(stateDir, markerDir);
    const random = seeded(20261124);
    let kills = 0;
    let mode: 'run' | 'resume' = 'run';
    let result = { killed: false, last: '' };
    for (let round = 0; round < 6; round++) {
      const killAfter = round < 4 ? 1 + (random.next().value! % 4) : null;
      result = await runChild(mode, stateDir, markerDir, killAfter);
      mode = 'resume';
      if (!result.killed) break;
      kills++;
    }
    expect(result).toEqual({ killed: false, last: 'settled completed' });
    expect(kills).toBeGreaterThanOrEqual(3);

    for (const job of JOBS) {
      const runs = (await readFile(join(markerDir, `${job}.runs`), 'utf8')).trim().split('\n');
      const done = (await readFile(join(markerDir, `${job}.done`), 'utf8')).trim().split('\n');
      expect(done.length, `${job} finished`).toBeGreaterThanOrEqual(1);
      expect(runs.length, `${job} ran at most once more per kill`).toBeLessThanOrEqual(1 + kills);
      expect(new Set(runs).size, `${job} got a new attempt id each time`).toBe(runs.length);
    }
    const journal = await readJournal(join(stateDir, 'journal.jsonl'));
    expect(journal.records.at(-1)?.type).toBe('plan-completed');
  }, 60_000);
});

describe('a plan paused at on_error in a real process killed with SIGKILL', () => {
  it('does not run again a job that succeeded while the plan was paused', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'paused-kill-state-'));
    const markerDir = await mkdtemp(join(tmpdir(), 'paused-kill-markers-'));
    dirs.push(stateDir, markerDir);
    const pausedChild = join(import.meta.dirname, 'support', 'paused-child.ts');
    const start = (mode: 'run' | 'resume') =>
      spawn(process.execPath, ['--import', 'tsx', pausedChild, mode, stateDir, markerDir], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });

    const first = start('run');
    children.push(first);
    const killed = new Promise((resolve) => first.on('exit', (_code, signal) => resolve(signal)));
    const lines: string[] = [];
    const succeeded = new Promise<void>((resolve) => {
      createInterface({ input: first.stdout! }).on('line', (line) => {
        lines.push(line);
        if (line === 'job-succeeded slow') resolve();
      });
    });
    await succeeded;
    expect(lines).toContain('plan-paused ');
    // Nothing more happens in the plan: it is paused. The success reaches the journal anyway.
    await fileHolds(join(stateDir, 'journal.jsonl'), '"type":"job-succeeded","jobId":"slow"');
    first.kill('SIGKILL');
    expect(await killed).toBe('SIGKILL');
    const journal = await readJournal(join(stateDir, 'journal.jsonl'));
    expect(journal.records.map((r) => r.type)).toContain('plan-paused');

    const second = start('resume');
    children.push(second);
    const exited = new Promise((resolve) => second.on('close', resolve));
    const output: string[] = [];
    createInterface({ input: second.stdout! }).on('line', (line) => output.push(line));
    await exited;
    expect(output.at(-1)).toBe('settled completed');
    const runs = (await readFile(join(markerDir, 'slow.runs'), 'utf8')).trim().split('\n');
    expect(runs).toEqual(['slow#1']);
  }, 30_000);
});
