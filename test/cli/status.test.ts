import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { filter } from 'rxjs/operators';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOrchestrator, FileStore, type PlanSpec } from '../../src/index.js';
import { fileHolds } from '../support/file-holds.js';
import { cli } from './run-cli.js';

let dir: string;
/** A command a failed test left running; stopped after the test. */
let running: ChildProcess | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'status-'));
});
afterEach(async () => {
  if (running && running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
  running = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('plan-orchestrator status', () => {
  it('shows the paused plan, its on_error checkpoint, each failure with its kind and message, and counts', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const plan: PlanSpec = {
      id: 'stuck',
      maxParallel: 2,
      onJobFailure: 'pause',
      jobs: [
        {
          id: 'broken',
          run: async () => {
            throw new Error('exit code 3: tests failed');
          },
        },
        {
          id: 'slow',
          run: async () => {
            await released;
            return 'ok';
          },
        },
        { id: 'after', dependsOn: ['slow', 'broken'], run: async () => 'after' },
      ],
    };
    const store = new FileStore(dir);
    const orchestrator = createOrchestrator(plan, { store });
    const paused = firstValueFrom(
      orchestrator.events$.pipe(filter((r) => r.type === 'plan-paused')),
    );
    const succeeded = firstValueFrom(
      orchestrator.events$.pipe(filter((r) => r.type === 'job-succeeded')),
    );
    orchestrator.start();
    await paused;
    release();
    await succeeded;
    await store.flush(); // waits for the writes already under way

    const result = await cli(['status', dir]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(
      'Plan "stuck": paused at on_error: job "broken" failed (job_failed: exit code 3: tests failed)',
    );
    expect(result.stdout).toContain('Jobs: 3 (1 failed, 1 succeeded, 1 waiting)');
    expect(result.stdout).toMatch(
      /broken\s+failed\s+attempt 1\s+job_failed: exit code 3: tests failed/,
    );
    expect(result.stdout).toMatch(/slow\s+succeeded\s+attempt 1/);
    expect(result.stdout).toMatch(/after\s+waiting/);
  });

  const wideFailedPlan = async () => {
    const jobs = Array.from({ length: 60 }, (_, i) => ({
      id: `job-${String(i).padStart(2, '0')}`,
      run: async () => {
        if (i === 42) throw new Error('no such file');
        return i;
      },
    }));
    const plan: PlanSpec = { id: 'wide', maxParallel: 8, onJobFailure: 'continue', jobs };
    const orchestrator = createOrchestrator(plan, { store: new FileStore(dir) }).start();
    expect((await orchestrator.whenSettled()).status).toBe('failed');
  };

  it('summarizes a plan of more than 50 jobs: counts and its failures, no job table, and how to see every job', async () => {
    await wideFailedPlan();
    const result = await cli(['status', dir]);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Plan "wide": failed');
    expect(lines[2]).toBe('Jobs: 60 (59 succeeded, 1 failed)');
    expect(lines[3]).toBe('Failed: 1');
    expect(lines[4]).toMatch(/^ {2}job-42\s+failed\s+attempt 1\s+job_failed: no such file$/);
    expect(lines.slice(5)).toEqual(['Every job: add --jobs (a table) or --json']);
  });

  it('lists every job of a large plan with --jobs', async () => {
    await wideFailedPlan();
    const result = await cli(['status', dir, '--jobs']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3 + 60);
    expect(lines[3]).toMatch(/^ {2}job-00\s+succeeded\s+attempt 1$/);
    expect(lines[3 + 42]).toMatch(/^ {2}job-42\s+failed\s+attempt 1\s+job_failed: no such file$/);
  });

  it('prints the state as one JSON object with --json: status, counts and every job', async () => {
    await wideFailedPlan();
    const result = await cli(['status', dir, '--json']);
    expect(result.code).toBe(0);
    const state = JSON.parse(result.stdout);
    expect(state).toMatchObject({
      planId: 'wide',
      status: 'failed',
      checkpoint: null,
      counts: { succeeded: 59, failed: 1 },
    });
    expect(state.jobs).toHaveLength(60);
    expect(state.jobs[42]).toMatchObject({
      id: 'job-42',
      status: 'failed',
      attempt: 1,
      failure: { kind: 'job_failed', error: { message: 'no such file' } },
    });
  });

  it('shows, while a CLI run is paused at on_error, the failure and the success recorded during the pause', async () => {
    const node = (code: string) => ({ command: process.execPath, args: ['-e', code] });
    const file = join(dir, 'plan.json');
    const gate = join(dir, 'paused');
    await writeFile(
      file,
      JSON.stringify({
        id: 'cli-paused',
        onJobFailure: 'pause',
        jobs: [
          { id: 'broken', run: node("console.error('disk quota exceeded'); process.exit(4)") },
          {
            id: 'late',
            // Finishes only once the plan is paused (the test creates the file then).
            run: node(
              `const fs = require('fs'); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(gate)})) { clearInterval(t); console.log('late done') } }, 20)`,
            ),
          },
        ],
      }),
    );
    const stateDir = join(dir, 'state');
    let seen: Promise<string> | undefined;
    await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
      onLine: (line, child) => {
        running = child;
        if (line.includes('plan paused at on_error')) void writeFile(gate, '');
        if (!line.includes('late: succeeded') || seen) return;
        seen = (async () => {
          // No command has reached the paused plan: the success is written on its own.
          await fileHolds(join(stateDir, 'journal.jsonl'), '"type":"job-succeeded","jobId":"late"');
          const text = (await cli(['status', stateDir])).stdout;
          await cli(['cancel', '--state-dir', stateDir]);
          return text;
        })();
      },
    });
    const text = await seen!;
    expect(text.split('\n')[0]).toMatch(
      /^Plan "cli-paused": paused at on_error: job "broken" failed \(job_failed: .*exited with code 4\)$/,
    );
    expect(text).toMatch(/broken\s+failed\s+attempt 1\s+job_failed: /);
    expect(text).toMatch(/late\s+succeeded\s+attempt 1/);
  }, 30_000);
});
