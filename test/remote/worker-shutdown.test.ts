import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFile, stillRunning } from '../cli/jobs.js';
import { queueFixture, runUntil } from './queue-fixture.js';

const t = queueFixture();

/** Runs a one-job plan on the queue; `seen` resolves once the job's process printed "ready". */
async function runOneJob(planId: string) {
  const file = await planFile(t.dir, 'plan.json', {
    id: planId,
    jobs: [{ id: 'slow', run: t.waitsForGo() }],
  });
  return runUntil(
    ['run', file, '--redis', t.server.url, '--queue', 'q', '--reporter', 'plain'],
    'slow | ready',
  );
}

describe('a worker stopped by SIGTERM', () => {
  it('takes no new attempts, lets the running one finish within the grace, and exits 0', async () => {
    const worker = await t.worker('q', 'w1');
    const { result, seen } = await runOneJob('graceful');
    await seen;
    (await worker.child).kill('SIGTERM');
    await worker.line(/^SIGTERM: taking no more attempts/);
    await writeFile(t.go, '');
    expect((await result).code).toBe(0);
    const exit = await worker.exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/worker w1 stopped; 0 attempt\(s\) handed back/);
  });

  it('past the grace stops the running attempt and hands it back to the queue, where another worker runs it', async () => {
    const first = await t.worker('q', 'w1', ['--grace-ms', '200']);
    const { result, seen } = await runOneJob('handed-back');
    await seen;
    (await first.child).kill('SIGTERM');
    const exit = await first.exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/worker w1 stopped; 1 attempt\(s\) handed back/);
    const firstPid = join(t.dir, 'first.pid');
    await writeFile(firstPid, (await readFile(join(t.dir, 'runs.log'), 'utf8')).trim());
    expect(stillRunning(firstPid)).toBe(false);

    const second = await t.worker('q', 'w2');
    await second.line(/^started handed-back slow#1$/);
    await writeFile(t.go, '');
    const ended = await result;
    expect(ended.code).toBe(0);
    expect(ended.stdout).not.toMatch(/failed/);
  });
});
