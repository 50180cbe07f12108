import { getShortestPaths } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { toErrorInfo } from '../../machines/errors.js';
import type { JobOutcome } from '../../machines/job.machine.js';
import type { PlanContext } from '../../machines/plan/context.js';
import { type PlanEvent, planMachine, planStatusOf } from '../../machines/plan.machine.js';
import { NonRetryableError } from '../../src/shared/errors.js';
import { createTestOrchestrator } from '../../src/testing/index.js';
import { jobInput, planInput } from '../support/plan-walk.js';

/**
 * Model-based: the shortest path to every state of a small plan (three jobs, one slot) that
 * its jobs' outcomes and the user's commands can reach, as a sequence of events, is played
 * against the orchestrator (simulated clock), which must end each path with the plan and every
 * job where the plan machine's own transitions put them.
 */

const JOBS = [{ id: 'A' }, { id: 'B', dependsOn: ['A'] }, { id: 'C' }];
const single = { maxAttempts: 1, initialDelayMs: 0, factor: 1, maxDelayMs: 0, jitter: 0 };
const input = planInput({
  maxParallel: 1,
  jobs: JOBS.map((job) => jobInput(job.id, job.dependsOn ?? [], { retry: single })),
});

/** The events that can happen to the plan now: a running job's outcome, or a command. */
function eventsOf(snapshot: { context: PlanContext; children: object }): PlanEvent[] {
  const ctx = snapshot.context;
  const events: PlanEvent[] = [];
  for (const id of ctx.order) {
    const job = ctx.jobs[id]!;
    if (job.status === 'running' && job.slot !== null && job.slot in snapshot.children) {
      const attemptId = job.attemptId!;
      const error = toErrorInfo(new NonRetryableError('fatal'));
      events.push(
        { type: 'JOB_COMPLETED', jobId: id, attemptId, output: id },
        { type: 'JOB_FAILED', jobId: id, attemptId, error, kind: 'job_failed', willRetry: false },
      );
    }
    events.push({ type: 'SKIP_JOB', jobId: id });
    // One retry per job keeps the graph finite.
    if (job.attempt < 2) events.push({ type: 'RETRY_JOB', jobId: id });
  }
  events.push({ type: 'APPROVE' }, { type: 'PAUSE' }, { type: 'RESUME' }, { type: 'CANCEL' });
  return events;
}

/** What the walk tells states apart by: the plan's state, the user's pause, each job's status. */
function serializeState(snapshot: { value: unknown; context: PlanContext }): string {
  const ctx = snapshot.context;
  return JSON.stringify([
    snapshot.value,
    ctx.userPaused,
    ctx.order.map((id) => [ctx.jobs[id]!.status, ctx.jobs[id]!.attempt]),
  ]);
}

const paths = getShortestPaths(planMachine, {
  input,
  events: eventsOf as never,
  serializeState: serializeState as never,
  stopWhen: (snapshot) => snapshot.status === 'done',
  limit: 100_000,
});

/** The event, if it is a job's outcome. */
function outcomeOf(event: PlanEvent): JobOutcome | null {
  return event.type === 'JOB_COMPLETED' || event.type === 'JOB_FAILED' ? event : null;
}

function describeStep(event: PlanEvent): string {
  const outcome = outcomeOf(event);
  if (outcome) return `${outcome.jobId} ${outcome.type === 'JOB_COMPLETED' ? 'succeeds' : 'fails'}`;
  return 'jobId' in event ? `${event.type} ${event.jobId}` : event.type;
}

describe('the plan machine', () => {
  it('reaches every end and the user checkpoints by some path', () => {
    const statuses = new Set(paths.map((path) => planStatusOf(path.state)));
    expect([...statuses].sort()).toEqual(['canceled', 'completed', 'failed', 'paused', 'running']);
    expect(paths.length).toBeGreaterThan(30);
  });

  it.each(
    paths.map((path) => [
      path.steps
        .slice(1)
        .map((step) => describeStep(step.event as PlanEvent))
        .join(', ') || '(start)',
      path,
    ]),
  )('the orchestrator follows: %s', async (_name, path) => {
    const kit = createTestOrchestrator({
      id: 'walk',
      maxParallel: 1,
      onJobFailure: input.onJobFailure,
      onSkip: input.onSkip,
      jobs: JOBS,
    });
    await kit.start();
    for (const step of path.steps.slice(1)) {
      const event = step.event as PlanEvent;
      const outcome = outcomeOf(event);
      if (outcome?.type === 'JOB_COMPLETED') await kit.complete(outcome.jobId, outcome.jobId);
      else if (outcome) await kit.fail(outcome.jobId, new NonRetryableError('fatal'));
      else {
        kit.send(event as PlanEvent & { type: 'PAUSE' });
        await kit.flush();
      }
    }
    const model = path.state.context as PlanContext;
    const view = kit.view();
    expect(view.status).toBe(planStatusOf(path.state));
    expect(view.jobs.map((job) => [job.id, job.status, job.attempt])).toEqual(
      model.order.map((id) => [id, model.jobs[id]!.status, model.jobs[id]!.attempt]),
    );
    kit.checkInvariants();
  });
});
