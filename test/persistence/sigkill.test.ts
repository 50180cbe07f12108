import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/index.js';

const child = join(import.meta.dirname, 'support', 'durable-child.ts');
const JOBS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const dirs: string[] = [];
afterAll(async () => {
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
