import type { ErrorInfo, FailureKind } from '../errors.js';
import type { ResolvedRetry } from '../retry.js';
import { rankJobs } from './critical-path.js';
import { popReady, pushReady, type ReadyQueue } from './ready-queue.js';

/**
 * Where a job is: `waiting` for its dependencies, `queued` for a slot, `running`, `retrying` after
 * a failed attempt, `verifying`, `awaitingIntegration`, `integrating`, then `succeeded`; or
 * `failed`, `blocked` (a dependency can no longer succeed), `skipped` or `canceled`.
 */
export type JobStatus =
  | 'waiting'
  | 'queued'
  | 'running'
  | 'retrying'
  | 'verifying'
  | 'awaitingIntegration'
  | 'integrating'
  | 'succeeded'
  | 'failed'
  | 'blocked'
  | 'skipped'
  | 'canceled';

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set([
  'succeeded',
  'failed',
  'blocked',
  'skipped',
  'canceled',
]);

/** A job as the plan machine gets it: the serializable part of a JobSpec, defaults filled in. */
export interface PlanJobInput {
  id: string;
  dependsOn: readonly string[];
  priority: number;
  retry: ResolvedRetry;
  timeoutMs: number | null;
  verify: boolean;
  /** `hold`: an attempt cut by a stop of the process waits at `on_error` on restore. */
  onInterrupt?: 'rerun' | 'hold';
  /** The job waits at the `pre_run` checkpoint before its first attempt until approved. */
  requiresApproval?: boolean;
}

/** The serial integration stage, when the plan has one. */
export interface IntegrationSettings {
  order: 'strict' | 'completion';
  check: boolean;
  rollback: boolean;
  checkTimeoutMs: number | null;
}

export interface PlanMachineInput {
  planId: string;
  mode: 'autopilot' | 'copilot' | 'supervisor';
  maxParallel: number;
  onJobFailure: 'pause' | 'fail' | 'continue';
  onSkip: 'block' | 'release';
  /** When true, a pass waits for `COMMIT_SUCCEEDED` before it starts the attempts it decided. */
  writeAhead: boolean;
  integration: IntegrationSettings | null;
  finalize: boolean;
  jobs: readonly PlanJobInput[];
  /** The state of a plan resumed from its journal (see src/persistence/restore.ts). */
  restored?: PlanContext;
}

/** A gate where a supervisor approves before the plan goes on. */
export type Gate =
  | { name: 'pre_run'; jobId: string }
  | { name: 'pre_integrate'; jobId: string }
  | { name: 'pre_finalize' };

export interface JobRecord extends PlanJobInput {
  index: number;
  dependents: string[];
  /** Dependencies that have not succeeded yet (the in-degree counter). */
  waitingOn: number;
  status: JobStatus;
  /** Number of the latest attempt (0 before the first). */
  attempt: number;
  attemptId: string | null;
  /** Child actor id while a job actor is alive; ids are reused once their job settled. */
  slot: string | null;
  /** True while a retrying job's backoff is over and its next attempt waits for a pass. */
  due: boolean;
  output?: unknown;
  failure?: { kind: FailureKind; error: ErrorInfo; violations?: string[] };
  blockedBy?: string;
  /** The next launch checks the kept output again instead of running the job. */
  reverify: boolean;
  /** Integrations started for this job (numbers its integration ids). */
  integrations: number;
  /** The job's `pre_run` gate was approved (it is never asked twice). */
  runApproved: boolean;
  /** A supervisor approved this job's integration (the gate is never asked twice). */
  integrateApproved: boolean;
  /** After a restart: the rest of a retry delay to wait out before the next attempt. */
  waitMs: number | null;
  /** After a restart mid-integration: roll back before integrating again. */
  rollbackFirst: boolean;
  /** Place in the integration queue (completion order, or a `REORDER`). */
  rank: number | null;
  /** Order among ready jobs: own priority plus the highest downstream (see critical-path.ts). */
  pathPriority: number;
}

/**
 * The plan machine's context. Collections are updated in place (one event touches O(out-degree)
 * entries; copying them per event would make a plan quadratic), and everything stays plain data
 * so the state can be serialized.
 */
export interface PlanContext {
  planId: string;
  mode: PlanMachineInput['mode'];
  maxParallel: number;
  onJobFailure: PlanMachineInput['onJobFailure'];
  onSkip: PlanMachineInput['onSkip'];
  writeAhead: boolean;
  /** Jobs by id, in a prototype-less object so no id can collide with Object.prototype. */
  jobs: Record<string, JobRecord>;
  /** Job ids in declaration order. */
  order: string[];
  ready: ReadyQueue;
  /** Jobs holding a slot (running, or waiting out a retry delay); never above `maxParallel`. */
  live: number;
  /**
   * Integration actors spawned and not yet done. An integration's result arrives just before its
   * actor ends, so the plan ends only once this is 0: no actor then reports to a plan that has
   * stopped. (Job actors are slots that outlive their jobs and end with the plan.)
   */
  actors: number;
  settled: number;
  /** Slots whose job has ended, for the next launches. */
  freeSlots: string[];
  slotCount: number;
  /** Slots that have a job actor: a launch into one hands the actor its next job (`RUN`). */
  slotActors: Record<string, true>;
  /** Groups of job actors spawned, in a plan that groups them (`maxParallel` above `PLAN_JOB_ACTORS`). */
  groupCount: number;
  /** Decided by the current pass, spawned once the decision is durable. */
  toLaunch: string[];
  /** For each of `toLaunch`, the commit that makes it durable (0: nothing to wait for). */
  toLaunchCommit: number[];
  /** Retrying jobs whose next attempt was decided, to be told once the decision is durable. */
  toStart: string[];
  /** For each of `toStart`, the commit that makes it durable. */
  toStartCommit: number[];
  /** Retrying jobs whose backoff is over (each has `due` set). */
  dueJobs: string[];
  /** Set by every recorded fact that may let the plan progress; cleared by a pass. */
  dirty: boolean;
  commitRequested: number;
  commitDurable: number;
  /** Failed jobs that hold the plan at `on_error` (policy `pause`), oldest first. */
  unresolved: string[];
  userPaused: boolean;
  /** False in copilot mode until `APPROVE` at the `start` checkpoint. */
  startApproved: boolean;
  /** Set when policy `fail` ends the plan. */
  failedBy: string | null;
  /** Set by `CANCEL`. */
  cancel: { reason?: string } | null;
  integration: IntegrationSettings | null;
  /** Jobs awaiting integration, by rank. */
  awaiting: ReadyQueue;
  /** Integrations so far: the rank of the next completion in `completion` order. */
  completions: number;
  /** `strict` order: every job, dependencies first, otherwise in declaration order. */
  strictOrder: string[];
  /** Position in `strictOrder` before which every job is integrated or can never be. */
  strictNext: number;
  /** The job integrating now (or decided to, waiting for the commit). */
  integrating: string | null;
  toIntegrate: string | null;
  /** The commit that makes `toIntegrate` durable. */
  toIntegrateCommit: number;
  gate: Gate | null;
  /** Jobs added in supervisor mode, applied at `APPROVE { checkpoint: 'pre_change' }`. */
  proposed: PlanJobInput[];
  finalize: { enabled: boolean; approved: boolean; failure: ErrorInfo | null; done: boolean };
  /** A write of the plan's state failed; the plan holds until `RESUME` tries again. */
  persistenceFailure: ErrorInfo | null;
  /** True for a plan resumed from its journal. */
  resumed: boolean;
}

export function newJobRecord(job: PlanJobInput, index: number): JobRecord {
  // Every field is set here, in one order, so that all job records share one object shape.
  return {
    id: job.id,
    dependsOn: [...job.dependsOn],
    priority: job.priority,
    retry: job.retry,
    timeoutMs: job.timeoutMs,
    verify: job.verify,
    onInterrupt: job.onInterrupt ?? 'rerun',
    requiresApproval: job.requiresApproval === true,
    index,
    dependents: [],
    waitingOn: job.dependsOn.length,
    status: 'waiting',
    attempt: 0,
    attemptId: null,
    slot: null,
    due: false,
    output: undefined,
    failure: undefined,
    blockedBy: undefined,
    reverify: false,
    integrations: 0,
    runApproved: false,
    integrateApproved: false,
    waitMs: null,
    rollbackFirst: false,
    rank: null,
    pathPriority: job.priority,
  };
}

/** Dependencies first, otherwise declaration order (Kahn's algorithm on a min-heap of indices). */
function strictOrderOf(order: readonly string[], jobs: Record<string, JobRecord>): string[] {
  const waiting = new Map(order.map((id) => [id, jobs[id]!.dependsOn.length]));
  const heap: ReadyQueue = [];
  for (const id of order) if (waiting.get(id) === 0) pushReady(heap, 0, jobs[id]!.index);
  const result: string[] = [];
  for (let index = popReady(heap); index >= 0; index = popReady(heap)) {
    const job = jobs[order[index]!]!;
    result.push(job.id);
    for (const dependent of job.dependents) {
      const left = waiting.get(dependent)! - 1;
      waiting.set(dependent, left);
      if (left === 0) pushReady(heap, 0, jobs[dependent]!.index);
    }
  }
  return result;
}

export function createPlanContext(input: PlanMachineInput): PlanContext {
  if (input.restored) {
    // A new runtime has no job actors yet, whatever the state's slots say.
    const slotActors = Object.create(null);
    return { ...input.restored, slotActors, writeAhead: input.writeAhead, resumed: true };
  }
  const jobs: Record<string, JobRecord> = Object.create(null);
  const order: string[] = [];
  input.jobs.forEach((job, index) => {
    order.push(job.id);
    jobs[job.id] = newJobRecord(job, index);
  });
  for (const id of order) {
    for (const dep of jobs[id]!.dependsOn) jobs[dep]!.dependents.push(id);
  }
  rankJobs(order, jobs);
  return {
    planId: input.planId,
    mode: input.mode,
    maxParallel: input.maxParallel,
    onJobFailure: input.onJobFailure,
    onSkip: input.onSkip,
    writeAhead: input.writeAhead,
    jobs,
    order,
    ready: [],
    live: 0,
    actors: 0,
    settled: 0,
    freeSlots: [],
    slotCount: 0,
    slotActors: Object.create(null),
    groupCount: 0,
    toLaunch: [],
    toLaunchCommit: [],
    toStart: [],
    toStartCommit: [],
    dueJobs: [],
    dirty: true,
    commitRequested: 0,
    commitDurable: 0,
    unresolved: [],
    userPaused: false,
    startApproved: input.mode !== 'copilot',
    failedBy: null,
    cancel: null,
    integration: input.integration,
    awaiting: [],
    completions: 0,
    strictOrder: input.integration?.order === 'strict' ? strictOrderOf(order, jobs) : [],
    strictNext: 0,
    integrating: null,
    toIntegrate: null,
    toIntegrateCommit: 0,
    gate: null,
    proposed: [],
    finalize: { enabled: input.finalize, approved: false, failure: null, done: false },
    persistenceFailure: null,
    resumed: false,
  };
}
