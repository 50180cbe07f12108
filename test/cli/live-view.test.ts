import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobStatus } from '../../machines/plan/context.js';
import { renderFrame } from '../../src/cli/live-view.js';
import { prettyReporter } from '../../src/cli/reporters.js';
import type { JobView, PlanView } from '../../src/runtime/view.js';
import type { StampedRecord } from '../../src/shared/records.js';
import { node, planFile } from './jobs.js';
import { cli } from './run-cli.js';

/** A plan of `total` jobs: the first `running` run, the next `failed` failed, then `succeeded`. */
function wideView(total: number, running: number, failed: number, succeeded: number): PlanView {
  const counts = Object.fromEntries(
    [
      'waiting',
      'queued',
      'running',
      'retrying',
      'verifying',
      'awaitingIntegration',
      'integrating',
      'succeeded',
      'failed',
      'blocked',
      'skipped',
      'canceled',
    ].map((status) => [status, 0]),
  ) as Record<JobStatus, number>;
  const jobs = Array.from({ length: total }, (_, i): JobView => {
    const status: JobStatus =
      i < running
        ? 'running'
        : i < running + failed
          ? 'failed'
          : i < running + failed + succeeded
            ? 'succeeded'
            : 'waiting';
    counts[status]++;
    return {
      id: `job-${i}`,
      status,
      dependsOn: [],
      attempt: status === 'waiting' ? 0 : 1,
      attemptId: status === 'waiting' ? null : `job-${i}#1`,
      startedAt: 0,
      ...(status === 'failed'
        ? {
            failure: {
              kind: 'job_failed' as const,
              error: { name: 'Error', message: 'exit code 1' },
            },
          }
        : {}),
    };
  });
  return { planId: 'wide', status: 'running', pass: 'idle', checkpoint: null, counts, jobs };
}

const failedRecord = (i: number) =>
  ({
    seq: i,
    at: 0,
    type: 'job-failed',
    jobId: `job-${i}`,
    kind: 'job_failed',
    error: { message: `exit code ${i}` },
  }) as unknown as StampedRecord;

describe('the live view of a large plan', () => {
  it('names the worker each running job is on, and shows a job no worker took queued, saying why', () => {
    const view = wideView(3, 3, 0, 0);
    view.jobs[0]!.worker = 'builder-1';
    view.jobs[1]!.waiting = 'no worker on queue builds seen for 10 s';
    const lines = renderFrame(view, { rows: 24, columns: 100 }, 1500, []);
    expect(lines.slice(3)).toEqual([
      '  job-0                    running      #1 1.5s on builder-1',
      '  job-1                    queued       #1 no worker on queue builds seen for 10 s',
      '  job-2                    running      #1 1.5s',
    ]);
  });

  it('fits a 24×80 terminal with a 5,000-job plan: 23 lines of at most 79 columns, the rest folded', () => {
    const failures = Array.from({ length: 30 }, (_, i) => `  job-${i}: job_failed: exit code 1`);
    const lines = renderFrame(
      wideView(5000, 64, 30, 2000),
      { rows: 24, columns: 80 },
      1500,
      failures,
    );
    expect(lines).toHaveLength(23);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(79);
    expect(lines[0]).toBe('wide  [############..................] 2030/5000  running');
    expect(lines[1]).toBe('  5000 jobs: 2906 waiting, 64 running, 2000 succeeded, 30 failed');
    expect(lines[2]).toBe('Running:');
    expect(lines[3]).toBe('  job-0                    running      #1 1.5s');
    expect(lines).toContain('  … 52 more running');
    expect(lines).toContain('Recent failures:');
    expect(lines.at(-1)).toBe('  … 25 more failures');
  });

  it('draws as many lines for 50,000 jobs as for 500 on the same terminal', () => {
    const small = renderFrame(wideView(500, 100, 0, 0), { rows: 10, columns: 40 }, 0, []);
    const large = renderFrame(wideView(50_000, 10_000, 0, 0), { rows: 10, columns: 40 }, 0, []);
    expect(small).toHaveLength(9);
    expect(large).toHaveLength(9);
    expect(large.join('\n').length).toBeLessThanOrEqual(9 * 40);
  });

  it('shows a small plan whole: every running job, no fold', () => {
    const lines = renderFrame(wideView(3, 2, 0, 1), { rows: 24, columns: 80 }, 0, []);
    expect(lines).toEqual([
      'wide  [##########....................] 1/3  running',
      '  3 jobs: 2 running, 1 succeeded',
      'Running:',
      '  job-0                    running      #1 0.0s',
      '  job-1                    running      #1 0.0s',
    ]);
  });
});

describe('the pretty reporter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const reporterOnFakeTerminal = () => {
    const writes: string[] = [];
    const reporter = prettyReporter((text) => writes.push(text), Date.now, {
      size: () => ({ rows: 24, columns: 80 }),
      frameMs: 250,
    });
    const frames = () => writes.filter((text) => text.startsWith('wide  [')).length;
    return { reporter, writes, frames };
  };

  it('draws at most one frame per 250 ms, however many updates arrive, each bounded by the terminal', () => {
    const { reporter, writes, frames } = reporterOnFakeTerminal();
    for (let done = 0; done < 1000; done++) reporter.view?.(() => wideView(5000, 16, 0, done));
    expect(frames()).toBe(0);
    vi.advanceTimersByTime(0);
    expect(frames()).toBe(1);
    for (let done = 1000; done < 2000; done++) reporter.view?.(() => wideView(5000, 16, 0, done));
    vi.advanceTimersByTime(249);
    expect(frames()).toBe(1);
    vi.advanceTimersByTime(1);
    expect(frames()).toBe(2);
    // The second frame shows the latest update, and erases the 19 lines of the first (2 + "Running:" + 16 jobs).
    expect(writes.at(-2)).toBe('\x1b[19F\x1b[J');
    expect(writes.at(-1)).toContain('] 1999/5000');
    for (const text of writes) expect(text.length).toBeLessThanOrEqual(24 * 80);
  });

  it('gives way to a question: clears its frame, and draws the next one below the question', () => {
    const { reporter, writes, frames } = reporterOnFakeTerminal();
    reporter.view?.(() => wideView(5000, 16, 0, 10));
    vi.advanceTimersByTime(0);
    reporter.view?.(() => wideView(5000, 16, 0, 20));
    reporter.giveWay?.();
    expect(writes.at(-1)).toBe('\x1b[19F\x1b[J');
    // The frame that was due does not come while the question is on the terminal.
    vi.advanceTimersByTime(1000);
    expect(frames()).toBe(1);
    writes.push('on_error: job "b" failed. approve, retry, skip or cancel? retry\n');
    reporter.view?.(() => wideView(5000, 16, 0, 30));
    vi.advanceTimersByTime(0);
    expect(frames()).toBe(2);
    // Nothing of the question is erased: the frame is written below it.
    expect(writes.at(-2)).toContain('retry\n');
    expect(writes.at(-1)).toContain('] 30/5000');
  });

  it('ends with a summary: status, duration, counts and the failed jobs, folded past ten', () => {
    const { reporter, writes } = reporterOnFakeTerminal();
    const view = wideView(5000, 0, 12, 4988);
    reporter.view?.(() => view);
    vi.advanceTimersByTime(3000);
    reporter.end({ ...view, status: 'failed' });
    const summary = writes.at(-1)!.split('\n');
    expect(summary.slice(0, 3)).toEqual([
      'wide  failed in 3.0s',
      '  5000 jobs: 4988 succeeded, 12 failed',
      'Failed:',
    ]);
    expect(summary[3]).toBe('  job-0: job_failed: exit code 1');
    expect(summary.slice(-3)).toEqual([
      '  … 2 more failed',
      'Plan "wide" failed: 4988 succeeded, 12 failed',
      '',
    ]);
  });

  it('lists the latest failures under the running jobs, newest first', () => {
    const { reporter, writes } = reporterOnFakeTerminal();
    reporter.record(failedRecord(1));
    reporter.record(failedRecord(2));
    reporter.view?.(() => wideView(10, 2, 2, 0));
    vi.advanceTimersByTime(0);
    expect(writes.at(-1)!.split('\n').slice(-4)).toEqual([
      'Recent failures:',
      '  job-2: job_failed: exit code 2',
      '  job-1: job_failed: exit code 1',
      '',
    ]);
  });
});

describe('run --reporter pretty on a plan larger than the terminal', () => {
  it('draws frames of at most 23 lines (a pipe counts as 24×80) and ends with the summary', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'live-view-'));
    try {
      const jobs = Array.from({ length: 120 }, (_, i) => ({
        id: `job-${i}`,
        run: i === 7 ? node('process.exit(3)') : { command: 'true' },
      }));
      const file = await planFile(dir, 'plan.json', {
        id: 'wide',
        maxParallel: 8,
        onJobFailure: 'continue',
        jobs,
      });
      const result = await cli(['run', file, '--reporter', 'pretty']);
      expect(result.code).toBe(1);
      // A frame ends where the next erase (ESC[nF ESC[J) begins; lines that scroll above it come first.
      const segments = result.stdout.split('\u001b[J').slice(0, -1);
      const frames = segments.filter((segment) => segment.includes('wide  ['));
      expect(frames.length).toBeGreaterThan(0);
      for (const segment of frames) {
        const frame = segment.slice(segment.lastIndexOf('wide  [')).split('\u001b[')[0]!;
        const lines = frame.trimEnd().split('\n');
        expect(lines.length).toBeLessThanOrEqual(23);
        for (const line of lines) expect(line.length).toBeLessThanOrEqual(79);
      }
      expect(result.stdout).toMatch(
        /wide {2}failed in \d+\.\ds\n {2}120 jobs: 119 succeeded, 1 failed\nFailed:\n {2}job-7: job_failed: "\S+ -e process\.exit\(3\)" exited with code 3\nPlan "wide" failed: 119 succeeded, 1 failed\n$/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
