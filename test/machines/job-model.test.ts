import { getSimplePaths } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import type { JobContext, JobEvent, JobMachineInput } from '../../machines/job.machine.js';
import { jobMachine } from '../../machines/job.machine.js';
import type { JobStatus } from '../../machines/plan/context.js';
import { NonRetryableError } from '../../src/shared/errors.js';
import { createTestOrchestrator } from '../../src/testing/index.js';

/**
 * Model-based: every simple path of the job machine's graph, as a sequence of events, is played
 * against the orchestrator (one job, simulated clock), which must end each path where the
 * machine's own transitions say: the same status, the same attempt, the same kind of failure.
 */

const RETRY = { maxAttempts: 2, initialDelayMs: 100, factor: 2, maxDelayMs: 1000, jitter: 0 };
const TIMEOUT_MS = 1000;

const EVENTS: JobEvent[] = [
  { type: 'ATTEMPT_SUCCEEDED', output: 'result' },
  { type: 'ATTEMPT_FAILED', error: { name: 'Error', message: 'flaky' }, retryable: true },
  { type: 'ATTEMPT_FAILED', error: { name: 'Error', message: 'fatal' }, retryable: false },
  { type: 'ATTEMPT_TIMED_OUT' },
  { type: 'BACKOFF_DONE' },
  { type: 'START_ATTEMPT' },
  { type: 'CANCEL', why: 'canceled' },
  { type: 'xstate.done.actor.verify', output: [] },
  { type: 'xstate.done.actor.verify', output: ['too short'] },
  { type: 'xstate.error.actor.verify', error: new Error('verify broke') },
];

/** The job machine with its reports to the plan left out: a walk of its graph has no plan. */
const walkable = jobMachine.provide({
  actions: {
    reportRetry: () => {},
    reportAttemptDue: () => {},
    reportVerifying: () => {},
    reportCompleted: () => {},
    reportFailed: () => {},
  },
});

/**
 * The plan's view of a job whose actor is in `state` after `events`. The plan starts a due
 * attempt at once: where the job waits for `START_ATTEMPT`, the orchestrator has sent it.
 */
function expectedOf(state: string, context: JobContext, events: readonly JobEvent[]) {
  const count = (type: string) => events.filter((e) => e.type === type).length;
  const started = count('BACKOFF_DONE') > count('START_ATTEMPT') ? 1 : 0;
  const attempt = context.attempt + started;
  if (state === 'backingOff') return { status: 'retrying' as JobStatus, attempt };
  if (state === 'awaitingStart') return { status: 'running' as JobStatus, attempt };
  return { status: state as JobStatus, attempt };
}

async function play(verify: boolean, events: readonly JobEvent[]) {
  let settleVerify: { resolve: (v: string[]) => void; reject: (e: unknown) => void } | null = null;
  const kit = createTestOrchestrator({
    id: 'model',
    onJobFailure: 'continue',
    jobs: [
      {
        id: 'A',
        retry: RETRY,
        timeoutMs: TIMEOUT_MS,
        ...(verify
          ? {
              verify: () =>
                new Promise<string[]>((resolve, reject) => {
                  settleVerify = { resolve, reject };
                }),
            }
          : {}),
      },
    ],
  });
  await kit.start();
  let retryInMs = 0;
  for (const event of events) {
    switch (event.type) {
      case 'ATTEMPT_SUCCEEDED':
        await kit.complete('A', event.output);
        break;
      case 'ATTEMPT_FAILED':
        await kit.fail('A', event.retryable ? new Error('flaky') : new NonRetryableError('fatal'));
        break;
      case 'ATTEMPT_TIMED_OUT':
        await kit.advance(TIMEOUT_MS);
        break;
      case 'BACKOFF_DONE':
        await kit.advance(retryInMs);
        break;
      case 'START_ATTEMPT':
        break; // the plan sends it itself, on the pass after the job reports its attempt due
      case 'CANCEL':
        kit.orchestrator.cancel();
        await kit.flush();
        break;
      case 'xstate.done.actor.verify':
        settleVerify!.resolve(event.output);
        await kit.flush();
        break;
      case 'xstate.error.actor.verify':
        settleVerify!.reject(event.error);
        await kit.flush();
        break;
    }
    const failed = kit.records.findLast((r) => r.type === 'attempt-failed');
    if (failed?.type === 'attempt-failed') retryInMs = failed.retryInMs;
  }
  return kit;
}

describe.each([true, false])('the job machine, verify %s', (verify) => {
  const input: JobMachineInput = {
    jobId: 'A',
    firstAttempt: 1,
    retry: RETRY,
    timeoutMs: TIMEOUT_MS,
    verify,
  };
  // A job that ended takes no more events (its actor waits for the plan's next job).
  const stopWhen = (snapshot: { value: unknown }) =>
    ['succeeded', 'failed', 'canceled'].includes(snapshot.value as string);
  const paths = getSimplePaths(walkable, { input, events: EVENTS, stopWhen });

  it('has paths to every state the job can rest in', () => {
    const ends = new Set(paths.map((path) => JSON.stringify(path.state.value)));
    const resting = ['running', 'backingOff', 'awaitingStart', 'succeeded', 'failed', 'canceled'];
    const expected = verify ? [...resting, 'verifying'] : resting;
    expect([...ends]).toEqual(expect.arrayContaining(expected.map((s) => JSON.stringify(s))));
  });

  it.each(
    paths.map((path) => [path.steps.map((step) => step.event.type).join(' → ') || '(start)', path]),
  )('the orchestrator follows %s', async (_name, path) => {
    const events = path.steps.slice(1).map((step) => step.event as JobEvent);
    const kit = await play(verify, events);
    const state = path.state.value as string;
    const job = kit.view().jobs[0]!;
    expect({ status: job.status, attempt: job.attempt }).toEqual(
      expectedOf(state, path.state.context, events),
    );
    if (state === 'failed') expect(job.failure?.kind).toBe(path.state.context.failure?.kind);
    if (state === 'succeeded') expect(job.output).toBe(path.state.context.output);
    kit.checkInvariants();
  });
});
