import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../src/remote/protocol.js';
import { RunningAttempt } from '../../src/remote/running-attempt.js';

const data = {
  protocol: PROTOCOL_VERSION,
  planId: 'p',
  jobId: 'resize',
  attempt: 2,
  attemptId: 'resize#2',
  handler: 'resize',
  input: { width: 800 },
  needs: { fetch: 'a.png' },
};

function attemptWithReports() {
  const sent: unknown[] = [];
  return { attempt: new RunningAttempt(data, (progress) => sent.push(progress)), sent };
}

describe("an attempt on a worker: its handler's context", () => {
  it('carries the attempt, its input and the outputs of its dependencies', () => {
    const { context } = attemptWithReports().attempt;
    expect(context).toMatchObject({
      jobId: 'resize',
      attempt: 2,
      attemptId: 'resize#2',
      input: { width: 800 },
      needs: { fetch: 'a.png' },
    });
  });

  it('has a signal already aborted with the reason when it is first read after the attempt was stopped', () => {
    const { attempt } = attemptWithReports();
    const reason = new Error('canceled by the coordinator');
    attempt.abort(reason);
    expect(attempt.context.signal.aborted).toBe(true);
    expect(attempt.context.signal.reason).toBe(reason);
  });

  it('has its signal aborted by a stop after it was read, and a second stop keeps the first reason', () => {
    const { attempt } = attemptWithReports();
    const { signal } = attempt.context;
    const aborted: unknown[] = [];
    signal.addEventListener('abort', () => aborted.push(signal.reason));
    const first = new Error('timeout');
    attempt.abort(first);
    attempt.abort(new Error('hand back'));
    expect(aborted).toEqual([first]);
    expect(attempt.reason).toBe(first);
  });

  it('keeps the same signal when spread into another object, and reports nothing once stopped', () => {
    const { attempt, sent } = attemptWithReports();
    const { report, ...rest } = { ...attempt.context };
    report({ step: 1 });
    attempt.abort(new Error('skipped'));
    report({ step: 2 });
    expect(sent).toEqual([{ step: 1 }]);
    expect(rest.signal).toBe(attempt.context.signal);
    expect(rest.signal.aborted).toBe(true);
  });
});
