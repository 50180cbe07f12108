import { Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { createTestOrchestrator } from '../src/testing/index.js';

describe('job runners', () => {
  it('takes an Observable: each value is progress, the last one the output', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      jobs: [
        {
          id: 'stream',
          run: () =>
            new Observable<number>((subscriber) => {
              subscriber.next(1);
              subscriber.next(2);
              subscriber.next(3);
              subscriber.complete();
            }),
        },
      ],
    });
    await kit.start();
    expect(kit.view()).toMatchObject({ status: 'completed', jobs: [{ output: 3 }] });
    expect(
      kit.records
        .filter((r) => r.type === 'job-progress')
        .map((r) => r.type === 'job-progress' && r.progress),
    ).toEqual([1, 2, 3]);
    kit.checkInvariants();
  });

  it('fails the attempt when the Observable errors, and unsubscribes when the job is skipped', async () => {
    let unsubscribed = 0;
    const kit = createTestOrchestrator({
      id: 'p',
      onJobFailure: 'continue',
      jobs: [
        { id: 'bad', run: () => new Observable((s) => s.error(new Error('stream broke'))) },
        { id: 'endless', run: () => new Observable(() => () => unsubscribed++) },
      ],
    });
    await kit.start();
    expect(kit.view().jobs[0]).toMatchObject({
      status: 'failed',
      failure: { error: { message: 'stream broke' } },
    });
    kit.send({ type: 'SKIP_JOB', jobId: 'endless' });
    await kit.flush();
    expect(unsubscribed).toBe(1);
    expect(kit.view().status).toBe('failed');
    kit.checkInvariants();
  });

  it('passes input, attempt and attemptId to run, and records report() as progress', async () => {
    const seen: unknown[] = [];
    const kit = createTestOrchestrator({
      id: 'p',
      jobs: [
        {
          id: 'A',
          input: { n: 2 },
          run: async (ctx) => {
            seen.push([ctx.jobId, ctx.attempt, ctx.attemptId, ctx.input]);
            ctx.report({ done: 1, of: 2 });
            return 'ok';
          },
        },
      ],
    });
    await kit.start();
    expect(seen).toEqual([['A', 1, 'A#1', { n: 2 }]]);
    expect(kit.sequence(/A#1/)).toEqual([
      'start A#1',
      'running A#1',
      'progress A#1',
      'succeeded A#1',
    ]);
  });

  it('verifies a result: violations fail the job with kind verification, listing them', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      onJobFailure: 'continue',
      jobs: [
        { id: 'good', verify: (out) => (out === 1 ? true : ['not one']) },
        { id: 'bad', verify: (out) => (out === 1 ? true : [`expected 1, got ${out}`]) },
      ],
    });
    await kit.start();
    kit.attempt('good').resolve(1);
    kit.attempt('bad').resolve(2);
    await kit.flush();
    expect(kit.view().jobs).toMatchObject([
      { status: 'succeeded', output: 1 },
      { status: 'failed', failure: { kind: 'verification', violations: ['expected 1, got 2'] } },
    ]);
    kit.checkInvariants();
  });

  it('hands the inspect option to XState: the plan and each job actor are seen', async () => {
    const actors = new Set<string>();
    const kit = createTestOrchestrator(
      { id: 'p', jobs: [{ id: 'A', run: async () => 1 }] },
      {
        inspect: (event: InspectionEvent) => {
          if (event.type === '@xstate.snapshot') {
            const machine = (event.snapshot as { machine?: { id: string } }).machine;
            if (machine) actors.add(machine.id);
          }
        },
      },
    );
    await kit.start();
    expect([...actors].sort()).toEqual(['job', 'plan']);
  });
  it('gives a signal read only after the abort, already aborted with its reason', async () => {
    let later: (() => AbortSignal) | undefined;
    const kit = createTestOrchestrator({
      id: 'p',
      jobs: [
        {
          id: 'A',
          timeoutMs: 100,
          run: (ctx) => {
            later = () => ctx.signal; // not read while the attempt runs
            return new Promise(() => {});
          },
        },
      ],
    });
    await kit.start();
    await kit.advance(100);
    const signal = later!();
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).name).toBe('JobTimeoutError');
    expect(kit.view().jobs[0]?.status).toBe('failed');
    kit.checkInvariants();
  });

  it('aborts a running attempt when the plan actor itself is stopped', async () => {
    let signal: AbortSignal | undefined;
    const kit = createTestOrchestrator({
      id: 'p',
      jobs: [
        {
          id: 'A',
          run: (ctx) => {
            signal = ctx.signal;
            return new Promise(() => {});
          },
        },
      ],
    });
    await kit.start();
    expect(signal?.aborted).toBe(false);
    kit.orchestrator.actor.stop();
    expect(signal?.aborted).toBe(true);
    expect((signal!.reason as Error).name).toBe('JobAbortedError');
  });
});
