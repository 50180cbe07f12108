import { TERMINAL_STATUSES } from '../../machines/plan/context.js';
import type { PlanRecord } from '../../machines/plan/records.js';
import { FINISHED_STATUSES, type PlanStatus } from '../../machines/plan/status.js';
import { JournalFold } from '../persistence/journal-fold.js';
import { JOURNAL_FORMAT } from '../persistence/store.js';
import type { PlanSpec } from '../plan/types.js';
import { DEFAULT_MAX_PARALLEL } from '../plan/types.js';
import { toMachineInput } from '../runtime/resolve-plan.js';
import type { PlanView } from '../runtime/view.js';
import type { TestPlanSpec } from './test-plan.js';

/** A run to check: the plan, its records and its view now. */
export interface InvariantInput {
  /** The plan that ran. */
  plan: TestPlanSpec;
  /** Records of earlier runs of the same plan (before a restart), oldest first. */
  history?: readonly PlanRecord[];
  /** Records of this run. */
  records: readonly PlanRecord[];
  /** The plan view now. */
  view: PlanView;
  /** JOB_* and INTEGRATION_* events the plan actor received (from inspection). */
  jobEventsReceived: number;
}

const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort().join(',');

/**
 * Records the plan machine makes from one job or integration event each. (`attempt-running` is
 * not one: the plan records it when it starts the attempt.)
 */
const JOB_EVENT_RECORDS = new Set([
  'job-integrated',
  'job-progress',
  'job-verifying',
  'job-ran',
  'attempt-due',
  'attempt-failed',
  'job-succeeded',
  'job-failed',
]);

/** Checks the invariants of DESIGN §5 on a run so far; returns every violation found. */
export function findInvariantViolations(input: InvariantInput): string[] {
  const { plan, view } = input;
  const current = input.records;
  const records = [...(input.history ?? []), ...current];
  const problems: string[] = [];
  const finished = FINISHED_STATUSES.has(view.status);
  const maxParallel = plan.maxParallel ?? DEFAULT_MAX_PARALLEL;
  const releaseOnSkip = plan.onSkip === 'release';
  const deps = new Map(plan.jobs.map((job) => [job.id, job.dependsOn ?? []]));

  // 1. No event lost: every job event the plan received became exactly one record.
  const fromJobEvents = current.filter(
    (r) =>
      // An accepted result and an attempt held as interrupted come from commands and restores.
      (JOB_EVENT_RECORDS.has(r.type) &&
        !('approved' in r) &&
        !(r.type === 'job-failed' && r.kind === 'interrupted')) ||
      (r.type === 'result-ignored' && !r.why.startsWith('plan is already')),
  ).length;
  if (fromJobEvents !== input.jobEventsReceived) {
    problems.push(
      `plan received ${input.jobEventsReceived} job events but recorded ${fromJobEvents}`,
    );
  }
  // 1 and 6. A finished plan leaves every job in one terminal status; nothing waits forever.
  if (finished) {
    for (const job of view.jobs) {
      if (!TERMINAL_STATUSES.has(job.status)) {
        problems.push(`plan is ${view.status} but job "${job.id}" is ${job.status}`);
      }
    }
  }

  // 2, 3 and 4, walking the records in order (with an integration stage, a dependency is done
  // once it is integrated).
  const done = new Set<string>();
  const live = new Map<string, string>(); // jobId -> current attemptId ('' during a backoff)
  const outcomes = new Map<string, number>(); // attemptId -> outcomes
  let peak = 0;
  let integrating: string | null = null;
  const endAttempt = (jobId: string) => {
    const attemptId = live.get(jobId);
    if (attemptId) outcomes.set(attemptId, (outcomes.get(attemptId) ?? 0) + 1);
    live.delete(jobId);
  };
  for (const record of records) {
    switch (record.type) {
      case 'attempt-started': {
        for (const dep of deps.get(record.jobId) ?? []) {
          if (!done.has(dep)) {
            problems.push(`${record.attemptId} started before its dependency "${dep}" succeeded`);
          }
        }
        outcomes.set(record.attemptId, outcomes.get(record.attemptId) ?? 0);
        live.set(record.jobId, record.attemptId);
        peak = Math.max(peak, live.size);
        break;
      }
      case 'attempt-failed':
        // The job keeps its slot through the backoff, but this attempt has its outcome.
        outcomes.set(record.attemptId, (outcomes.get(record.attemptId) ?? 0) + 1);
        live.set(record.jobId, '');
        break;
      case 'job-succeeded':
        done.add(record.jobId);
        endAttempt(record.jobId);
        break;
      case 'job-ran':
        endAttempt(record.jobId);
        break;
      case 'integration-started':
        if (integrating !== null) {
          problems.push(`${record.integrationId} started while ${integrating} was integrating`);
        }
        integrating = record.integrationId;
        break;
      case 'job-integrated':
        done.add(record.jobId);
        integrating = null;
        break;
      case 'job-failed':
        if (record.attemptId === integrating) integrating = null;
        endAttempt(record.jobId);
        break;
      case 'job-skipped':
        if (releaseOnSkip) done.add(record.jobId);
        endAttempt(record.jobId);
        break;
      case 'job-canceled':
      case 'attempt-interrupted':
        endAttempt(record.jobId);
        break;
      case 'integration-interrupted':
        integrating = null;
        break;
    }
  }
  if (peak > maxParallel) problems.push(`${peak} jobs ran at once with maxParallel ${maxParallel}`);
  for (const [attemptId, count] of outcomes) {
    if (count > 1) problems.push(`attempt ${attemptId} has ${count} outcomes`);
    if (count === 0 && finished) problems.push(`attempt ${attemptId} never got an outcome`);
  }
  const running = view.jobs.filter((j) =>
    ['running', 'retrying', 'verifying'].includes(j.status),
  ).length;
  if (running > maxParallel)
    problems.push(`${running} jobs running with maxParallel ${maxParallel}`);

  // 5. Replaying the records gives the live state: folded exactly as a restore folds a journal.
  const machineInput = toMachineInput(plan as PlanSpec, false);
  const fold = JournalFold.start({ format: JOURNAL_FORMAT, planId: plan.id, input: machineInput });
  records.forEach((record, i) => {
    fold.apply({ ...record, seq: i + 1, at: 0 });
  });
  const replayedStatus = planStatusFromRecords(records);
  if (replayedStatus !== view.status) {
    problems.push(`replayed plan status ${replayedStatus} differs from live ${view.status}`);
  }
  for (const job of view.jobs) {
    const again = fold.state.context.jobs[job.id];
    if (again?.status !== job.status || again.attempt !== job.attempt) {
      problems.push(
        `replayed job "${job.id}" is ${again?.status}#${again?.attempt}, live is ${job.status}#${job.attempt}`,
      );
    }
  }

  // 6. While the plan runs, a waiting job never depends on a job that can no longer succeed,
  // unless the plan is paused for a person to decide about that job.
  if (!finished) {
    const byId = new Map(view.jobs.map((j) => [j.id, j]));
    for (const job of view.jobs) {
      if (job.status !== 'waiting') continue;
      for (const dep of job.dependsOn) {
        const status = byId.get(dep)?.status;
        const dead =
          status === 'blocked' || status === 'canceled' || (status === 'skipped' && !releaseOnSkip);
        const awaitingDecision = status === 'failed' && view.status === 'paused';
        if (dead || (status === 'failed' && !awaitingDecision)) {
          problems.push(`job "${job.id}" waits on "${dep}", which is ${status}`);
        }
      }
    }
  }

  // 7. Whatever the ids, Object.prototype is untouched.
  if (Object.getOwnPropertyNames(Object.prototype).sort().join(',') !== PROTOTYPE_KEYS) {
    problems.push('Object.prototype was modified');
  }
  return problems;
}

/** The plan status the records say, from its pauses, resumptions and ending. */
function planStatusFromRecords(records: readonly PlanRecord[]): PlanStatus {
  let status: PlanStatus = 'running';
  for (const record of records) {
    switch (record.type) {
      case 'plan-paused':
        status = record.checkpoint.name === 'start' ? 'awaitingApproval' : 'paused';
        break;
      case 'approved':
        if (record.checkpoint === 'start') status = 'running';
        break;
      case 'plan-resumed':
        status = 'running';
        break;
      case 'finalize-started':
        status = 'finalizing';
        break;
      case 'finalize-failed':
        status = 'paused';
        break;
      case 'plan-completed':
      case 'plan-failed':
      case 'plan-canceled':
        status = record.type.slice('plan-'.length) as PlanStatus;
        break;
    }
  }
  return status;
}

/** Throws an error listing every invariant the run broke (see `findInvariantViolations`). */
export function assertInvariants(input: InvariantInput): void {
  const problems = findInvariantViolations(input);
  if (problems.length > 0) {
    throw new Error(`Plan invariants broken:\n  - ${problems.join('\n  - ')}`);
  }
}
