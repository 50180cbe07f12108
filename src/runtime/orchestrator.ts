import type { Observable } from 'rxjs';
import { createActor, type InspectionEvent, type Observer } from 'xstate';
import { enteredRunning, jobMachine } from '../../machines/job.machine.js';
import type { jobGroupMachine } from '../../machines/job-group.machine.js';
import type { PlanContext, PlanMachineInput } from '../../machines/plan/context.js';
import type { PlanRecord } from '../../machines/plan/records.js';
import { planRuntimeMachine } from '../../machines/plan.machine.js';
import { JournalFold } from '../persistence/journal-fold.js';
import { JOURNAL_FORMAT, type JournalHeader, type Store } from '../persistence/store.js';
import type { JobNeeds, PlanSpec } from '../plan/types.js';
import { findPlanIssues } from '../plan/validate.js';
import { type Clock, systemClock } from '../shared/clock.js';
import { PlanValidationError } from '../shared/errors.js';
import type { StampedRecord } from '../shared/records.js';
import { createAttemptRunner, createVerifyLogic, withAttempts } from './attempt-actor.js';
import { attemptOutcomes } from './attempt-outcomes.js';
import type { Command, CommandResult } from './command.js';
import { createCommandGate } from './command-gate.js';
import { guardSubscribers } from './guarded-stream.js';
import { createFinalizeLogic, createIntegrationLogic } from './hook-actors.js';
import { jobPoolLogic } from './job-pool.js';
import { checkOrchestratorOptions } from './options.js';
import { lendPlanActor, type PlanActor } from './plan-actor.js';
import { RecordPublisher } from './record-publisher.js';
import { toMachineInput } from './resolve-plan.js';
import { createDurability, resumeWhenWritable } from './store-wiring.js';
import type { PlanView } from './view.js';
import { viewOf, viewStream } from './view-stream.js';

export type { Command, CommandResult } from './command.js';

/**
 * How `createOrchestrator` and `resumeOrchestrator` run a plan. Every field is optional; a value
 * out of bounds throws `OrchestratorOptionError` naming it.
 */
export interface OrchestratorOptions {
  /**
   * Source of time for timeouts, retry delays and record stamps.
   *
   * @default the system clock (`Date.now`, `setTimeout`)
   */
  clock?: Clock;
  /**
   * Passed to XState's `createActor`: receives every actor, event and snapshot of the plan and its
   * jobs (e.g. `@statelyai/inspect`'s `inspector.inspect`).
   */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /**
   * Receives every record; when given, each pass makes its decisions durable before acting.
   * Without one, the plan lives in memory only.
   */
  store?: Store;
  /**
   * With a store: records between snapshots.
   *
   * Integer, 1 to 1,000,000,000.
   *
   * @default `10000` or twice the plan's jobs, whichever is more (so that snapshots cost a plan
   * time in proportion to its size)
   */
  snapshotEvery?: number;
}

/** A plan made ready to run: start it, steer it with commands, and watch it. */
export interface Orchestrator {
  /** Starts the plan. Subscribe to `events$` first to see every record. */
  start(): Orchestrator;
  /** Sends a command; the answer says whether it was accepted, and why not. */
  send(command: Command): CommandResult;
  /** Sends `CANCEL`: running attempts are aborted, nothing new starts, the plan ends `canceled`. */
  cancel(reason?: string): CommandResult;
  /** The plan view now. */
  getView(): PlanView;
  /** The plan view after each burst of changes (coalesced per microtask); completes at the end. */
  readonly view$: Observable<PlanView>;
  /**
   * Every record, in order. Completes once the plan ended and every attempt it started has
   * reported, so results that arrive after a cancel are still recorded (as ignored).
   */
  readonly events$: Observable<StampedRecord>;
  /** Resolves with the final view when the plan completed, failed or was canceled. */
  whenSettled(): Promise<PlanView>;
  /**
   * The root XState actor (the plan machine), to watch and inspect: it has no `send` (commands go
   * through `send()` above), and an event sent to it anyway is refused like an unknown command.
   */
  readonly actor: PlanActor;
}

/** Validates the plan and prepares it to run; throws `PlanValidationError` listing every problem. */
export function createOrchestrator(
  plan: PlanSpec,
  options: OrchestratorOptions = {},
): Orchestrator {
  checkOrchestratorOptions(options);
  const issues = findPlanIssues(plan);
  if (issues.length > 0) throw new PlanValidationError(issues);
  const input = toMachineInput(plan, options.store !== undefined);
  options.store?.begin(headerOf(input));
  return runOrchestrator(plan, input, options, null);
}

function headerOf(input: PlanMachineInput): JournalHeader {
  const { writeAhead: _, restored: __, ...stored } = input;
  return { format: JOURNAL_FORMAT, planId: input.planId, input: stored };
}

/** How a resumed plan starts: the records it begins with and the last seq of its journal. */
export interface Resumption {
  records: readonly PlanRecord[];
  lastSeq: number;
  warnings: string[];
  /** The journal folded so far, to keep snapshots going. */
  fold: JournalFold;
  /** The journal's records after its snapshot: when its jobs started and ended, where they ran. */
  journaled: readonly StampedRecord[];
}

/** The orchestrator around a plan machine, for a new plan or a resumed one. */
export function runOrchestrator(
  plan: PlanSpec,
  input: PlanMachineInput,
  options: OrchestratorOptions,
  resumption: Resumption | null,
): Orchestrator {
  checkOrchestratorOptions(options);
  const clock = options.clock ?? systemClock;
  const store = options.store;
  const specs = new Map(plan.jobs.map((job) => [job.id, job]));
  const jobOf = (jobId: string) => specs.get(jobId)!;
  let started = false;

  // The actor is created below: the durability only reports to it once it exists.
  const durability = store
    ? createDurability(
        store,
        resumption?.fold ?? JournalFold.start(headerOf(input)),
        options.snapshotEvery,
        () => actor,
      )
    : null;
  const publisher = new RecordPublisher(clock, durability, resumption?.lastSeq ?? 0);
  if (resumption) publisher.recall(resumption.journaled);
  const { events, publish, subscriberFailed } = publisher;

  const { toPlan, tracker, outstanding } = attemptOutcomes(
    () => actor,
    publish,
    () => finishEventsIfDone(),
  );
  const finishEventsIfDone = () => {
    if (outstanding() === 0 && actor.getSnapshot().status !== 'active') events.complete();
  };

  const job = jobMachine.provide({ actors: { verify: createVerifyLogic(jobOf) } });
  // Read when an attempt starts: its dependencies have succeeded, so their outputs are in place.
  const needsOf = (jobId: string) => needsFrom(actor.getSnapshot().context, jobId);
  const runner = createAttemptRunner(jobOf, toPlan, tracker, store !== undefined, needsOf);
  const jobActors = {
    job: withAttempts(job, runner),
    runningJob: withAttempts(enteredRunning(job), runner),
  };
  const machine = planRuntimeMachine.provide({
    actors: {
      ...jobActors,
      // Any actor logic may stand in for a statechart the machine spawns by name.
      jobGroup: jobPoolLogic(jobActors) as unknown as typeof jobGroupMachine,
      integration: createIntegrationLogic(plan.id, plan.integration),
      finalize: createFinalizeLogic(plan, store !== undefined),
    },
  });
  const actor = createActor(machine, {
    input,
    clock,
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });

  actor.on('records', ({ records }) => publish(records));
  actor.on('commit', ({ upTo }) => durability!.request(upTo));
  const send = createCommandGate({ plan, specs, actor, publish, started: () => started });
  if (store && durability) resumeWhenWritable(store, actor, durability, send);

  const getView = (): PlanView => viewOf(actor, publisher.timing);

  let settled: Promise<PlanView> | undefined;
  const whenSettled = () => {
    settled ??= new Promise<void>((resolve, reject) => {
      // A stopped actor (its store was taken over) tells no one that subscribes after the stop.
      if (actor.getSnapshot().status === 'stopped') resolve();
      else actor.subscribe({ complete: resolve, error: reject });
    })
      // The records of the plan's last steps reach the store before the plan counts as settled.
      .then(() => durability?.drain())
      .then(() => getView());
    return settled;
  };

  const orchestrator: Orchestrator = {
    start() {
      if (!started) {
        started = true;
        actor.subscribe({ complete: finishEventsIfDone, error: (error) => events.error(error) });
        if (resumption) {
          const { lastSeq, warnings, records } = resumption;
          publish([{ type: 'plan-restored', fromSeq: lastSeq, warnings }, ...records]);
        }
        actor.start();
      }
      return orchestrator;
    },
    send,
    cancel: (reason) =>
      send(reason === undefined ? { type: 'CANCEL' } : { type: 'CANCEL', reason }),
    getView,
    view$: guardSubscribers(viewStream(actor, getView), 'view$', subscriberFailed),
    events$: guardSubscribers(events.asObservable(), 'events$', subscriberFailed),
    whenSettled,
    // Whatever is sent to it from outside is checked and recorded like a command (and refused
    // when it is not one).
    actor: lendPlanActor(actor, (event) => send(event as Command)),
  };
  return orchestrator;
}

/** The outputs of a job's direct dependencies, in a prototype-less object (ids may be anything). */
function needsFrom(context: PlanContext, jobId: string): JobNeeds {
  const needs: Record<string, unknown> = Object.create(null);
  for (const dep of context.jobs[jobId]?.dependsOn ?? []) needs[dep] = context.jobs[dep]?.output;
  return needs;
}
