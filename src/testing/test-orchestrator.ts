import type { InspectionEvent } from 'xstate';
import type { JobToPlanEvent } from '../../machines/job.machine.js';
import { MemoryStore, type Store } from '../persistence/store.js';
import type {
  HookContext,
  IntegrationSpec,
  IntegrationSubject,
  JobRun,
  PlanSpec,
} from '../plan/types.js';
import {
  type Command,
  type CommandResult,
  createOrchestrator,
  type Orchestrator,
  type OrchestratorOptions,
} from '../runtime/orchestrator.js';
import { deliverToPlan } from '../runtime/plan-actor.js';
import { resumeOrchestrator } from '../runtime/resume.js';
import type { PlanView } from '../runtime/view.js';
import type { StampedRecord } from '../shared/records.js';
import { formatRecord } from './format.js';
import { HeldStore } from './held-store.js';
import { assertInvariants } from './invariants.js';
import { createSettlable, type Settlable } from './settlable.js';
import { TestClock } from './test-clock.js';
import type { HookName, TestJobSpec, TestPlanSpec } from './test-plan.js';

/** One call of a manual hook. */
export interface HookCall extends Settlable {
  readonly hook: HookName;
  /** The job for integration hooks; null for `finalize`. */
  readonly jobId: string | null;
  /** What the hook received: the job's id, integration id and output, or the plan summary. */
  readonly subject: unknown;
  /** The signal the hook received. */
  readonly signal: AbortSignal;
}

/** A command as the test kit's `send` takes it: an added job may leave out `run`. */
export type TestCommand =
  | Exclude<Command, { type: 'ADD_JOB' }>
  | { type: 'ADD_JOB'; job: TestJobSpec };

/** One attempt of a hand-controlled job. */
export interface AttemptHandle extends Settlable {
  /** The job's id. */
  readonly jobId: string;
  /** The attempt's number, 1 for the first. */
  readonly attempt: number;
  /** The attempt's id, `<jobId>#<attempt>`. */
  readonly attemptId: string;
  /** The signal the attempt received: aborted on timeout, skip or cancel. */
  readonly signal: AbortSignal;
  /** Reports progress as the job's `ctx.report` does. */
  report(progress: unknown): void;
}

/** How the test kit runs its orchestrator. */
export interface TestOrchestratorOptions {
  /**
   * The simulated clock; pass one to start at another time or share it.
   *
   * @default a new `TestClock` at 0
   */
  clock?: TestClock;
  /** A store for the plan; `'held'` gives a `HeldStore`, whose flushes the test releases by hand. */
  store?: Store | 'held';
  /** Also receives XState's inspection events (actors, events, microsteps, snapshots). */
  inspect?: (event: InspectionEvent) => void;
  /** With a store: records between snapshots (see `OrchestratorOptions`). */
  snapshotEvery?: number;
}

/** An orchestrator under test, with the hands to settle its jobs and hooks and move its clock. */
export interface TestOrchestrator {
  /** The orchestrator itself. */
  readonly orchestrator: Orchestrator;
  /** The simulated clock it runs on. */
  readonly clock: TestClock;
  /** The store when one was given; a `HeldStore` with `store: 'held'`. */
  readonly store: Store | undefined;
  /** The `HeldStore` given as `store` or made for `store: 'held'`; an unused one otherwise. */
  readonly heldStore: HeldStore;
  /** Every record so far, in order. */
  readonly records: readonly StampedRecord[];
  /** Starts the plan and lets it settle. */
  start(): Promise<void>;
  /** Lets every pending promise callback run (no timers involved). */
  flush(): Promise<void>;
  /** The latest attempt of a job (or attempt number `attempt`); throws if it has not started. */
  attempt(jobId: string, attempt?: number): AttemptHandle;
  /** Attempts started and not settled by the test, in start order. */
  pending(): AttemptHandle[];
  /** The latest call of a manual hook (for a job); throws if there is none. */
  hookCall(hook: HookName, jobId?: string): HookCall;
  /** Manual hook calls not settled yet, in call order. */
  pendingHooks(): HookCall[];
  /** Resolves the job's latest attempt, then flushes. */
  complete(jobId: string, output?: unknown): Promise<void>;
  /** Rejects the job's latest attempt (default error: `Error('<id> failed')`), then flushes. */
  fail(jobId: string, error?: unknown): Promise<void>;
  /** Moves the simulated clock, then flushes. */
  advance(ms: number): Promise<void>;
  /** Sends a command; an added job without `run` is settled by hand like the others. */
  send(command: TestCommand): CommandResult;
  /** Puts a job event straight into the plan's mailbox (e.g. a duplicate result). */
  deliver(event: JobToPlanEvent): void;
  /** The plan view now. */
  view(): PlanView;
  /** The records as short lines (see `formatRecord`), optionally only those matching `filter`. */
  sequence(filter?: RegExp): string[];
  /** Throws an error listing every broken invariant (DESIGN §5). */
  checkInvariants(): void;
}

/**
 * An orchestrator for event-sequence tests: a simulated clock, jobs the test completes, fails or
 * leaves hanging per attempt, recorded records, and the invariant checker.
 */
export function createTestOrchestrator(
  plan: TestPlanSpec,
  options: TestOrchestratorOptions = {},
): TestOrchestrator {
  const kit = prepareTestOrchestrator(plan, options, []);
  return kit.attach(createOrchestrator(kit.spec, kit.options));
}

/** Everything around the orchestrator: manual runs and hooks, the clock, the record log. */
function prepareTestOrchestrator(
  plan: TestPlanSpec,
  options: TestOrchestratorOptions,
  history: readonly StampedRecord[],
) {
  const clock = options.clock ?? new TestClock();
  const heldStore = options.store instanceof HeldStore ? options.store : new HeldStore();
  const store = options.store === 'held' ? heldStore : options.store;
  const handles: AttemptHandle[] = [];
  const hookCalls: HookCall[] = [];
  const records: StampedRecord[] = [];
  let jobEventsReceived = 0;

  const manualRun: JobRun = (ctx) => {
    const { promise, controls } = createSettlable(`Attempt ${ctx.attemptId}`);
    handles.push(
      Object.assign(controls, {
        jobId: ctx.jobId,
        attempt: ctx.attempt,
        attemptId: ctx.attemptId,
        signal: ctx.signal,
        report: (progress: unknown) => ctx.report(progress),
      }),
    );
    return promise;
  };

  const manualHook = (hook: HookName) => (subject: unknown, ctx: HookContext) => {
    const jobId = hook === 'finalize' ? null : (subject as IntegrationSubject).jobId;
    const { promise, controls } = createSettlable(`${hook}${jobId ? ` of ${jobId}` : ''}`);
    hookCalls.push(Object.assign(controls, { hook, jobId, subject, signal: ctx.signal }));
    return promise as Promise<never>;
  };
  const manual = <F>(hook: HookName, given: F | 'manual' | undefined): F | undefined =>
    given === 'manual' ? (manualHook(hook) as F) : given;
  const { integration: hooks, finalize, ...rest } = plan;
  const integration: IntegrationSpec | undefined = hooks && {
    integrate: manual('integrate', hooks.integrate)!,
    ...(hooks.check ? { check: manual('check', hooks.check) } : {}),
    ...(hooks.rollback ? { rollback: manual('rollback', hooks.rollback) } : {}),
    ...(hooks.order ? { order: hooks.order } : {}),
    ...(hooks.checkTimeoutMs ? { checkTimeoutMs: hooks.checkTimeoutMs } : {}),
  };

  const inspect = (event: InspectionEvent) => {
    if (
      event.type === '@xstate.event' &&
      event.actorRef.sessionId === orchestrator.actor.sessionId
    ) {
      if (/^(JOB|INTEGRATION)_/.test(event.event.type)) jobEventsReceived++;
    }
    options.inspect?.(event);
  };

  const spec: PlanSpec = {
    ...rest,
    jobs: plan.jobs.map((job) => ({ ...job, run: job.run ?? manualRun })),
    ...(integration ? { integration } : {}),
    ...(finalize ? { finalize: manual('finalize', finalize)! } : {}),
  };
  const orchestratorOptions: OrchestratorOptions = {
    clock,
    inspect,
    ...(store ? { store } : {}),
    // Passed on whenever given, so that a bad value is refused here as everywhere.
    ...(options.snapshotEvery !== undefined ? { snapshotEvery: options.snapshotEvery } : {}),
  };
  let orchestrator!: Orchestrator;

  const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

  const attempt = (jobId: string, number?: number): AttemptHandle => {
    const found = handles.filter(
      (h) => h.jobId === jobId && (number === undefined || h.attempt === number),
    );
    const handle = found[found.length - 1];
    if (!handle) {
      const started = handles.map((h) => h.attemptId).join(', ') || 'none';
      throw new Error(
        `No attempt ${number ?? ''} of job "${jobId}" has started (started: ${started})`,
      );
    }
    return handle;
  };

  const attach = (created: Orchestrator): TestOrchestrator => {
    orchestrator = created;
    orchestrator.events$.subscribe((record) => records.push(record));
    return kit;
  };

  const kit: TestOrchestrator = {
    get orchestrator() {
      return orchestrator;
    },
    clock,
    store,
    heldStore,
    records,
    async start() {
      orchestrator.start();
      await flush();
    },
    flush,
    attempt,
    pending: () => handles.filter((h) => !h.settled),
    hookCall(hook, jobId) {
      const calls = hookCalls.filter(
        (c) => c.hook === hook && (jobId === undefined || c.jobId === jobId),
      );
      const call = calls[calls.length - 1];
      if (!call) throw new Error(`No ${hook} call${jobId ? ` for job "${jobId}"` : ''} so far`);
      return call;
    },
    pendingHooks: () => hookCalls.filter((c) => !c.settled),
    async complete(jobId, output) {
      attempt(jobId).resolve(output);
      await flush();
    },
    async fail(jobId, error) {
      attempt(jobId).reject(error);
      await flush();
    },
    async advance(ms) {
      clock.advance(ms);
      await flush();
    },
    send: (command) =>
      orchestrator.send(
        command.type === 'ADD_JOB'
          ? { ...command, job: { ...command.job, run: command.job.run ?? manualRun } }
          : command,
      ),
    deliver: (event) => deliverToPlan(orchestrator.actor, event),
    view: () => orchestrator.getView(),
    sequence: (filter) =>
      records.map(formatRecord).filter((line) => (filter ? filter.test(line) : true)),
    checkInvariants: () =>
      assertInvariants({
        plan,
        history,
        records,
        view: orchestrator.getView(),
        jobEventsReceived,
      }),
  };
  return { spec, options: orchestratorOptions, attach };
}

/**
 * Resumes a plan from `store` as a test orchestrator (see `resumeOrchestrator`): the attempts it
 * starts again are settled by hand like any others, and the invariants cover the whole journal.
 */
export async function resumeTestOrchestrator(
  plan: TestPlanSpec,
  store: Store,
  options: Omit<TestOrchestratorOptions, 'store'> = {},
): Promise<TestOrchestrator> {
  // The invariants look at the whole journal; a store that answers with a snapshot and the
  // records after it gives only those, except the memory store, which keeps every record.
  const records = store instanceof MemoryStore ? [...store.records] : (await store.load()).records;
  // A resume stands for a new process after a crash: the memory store's previous owner (the
  // orchestrator that "crashed", in this same process) is gone with it.
  if (store instanceof MemoryStore) await store.relinquish();
  const kit = prepareTestOrchestrator(plan, { ...options, store }, records);
  return kit.attach(await resumeOrchestrator(kit.spec, store, kit.options));
}
