import { Observable, Subject } from 'rxjs';
import { type Actor, createActor, type InspectionEvent, type Observer } from 'xstate';
import { type ErrorInfo, toErrorInfo } from '../../machines/errors.js';
import { enteredRunning, jobMachine } from '../../machines/job.machine.js';
import { checkpointOf } from '../../machines/plan/checkpoint.js';
import {
  COMMAND_TYPES,
  type PlanCommand,
  type PlanStatus,
  rejectionOf,
} from '../../machines/plan/commands.js';
import type { PlanMachineInput } from '../../machines/plan/context.js';
import type { PlanCommandRecord, PlanRecord } from '../../machines/plan/records.js';
import { planMachine, planStatusOf } from '../../machines/plan.machine.js';
import { guarded, renderValue, toJsonSafe } from '../../machines/safe-value.js';
import { Durability } from '../persistence/durability.js';
import { JournalFold } from '../persistence/journal-fold.js';
import { unstorablePart } from '../persistence/storable.js';
import { JOURNAL_FORMAT, type JournalHeader, type Store } from '../persistence/store.js';
import type { JobSpec, PlanSpec } from '../plan/types.js';
import { findAddedJobIssues, findPlanIssues } from '../plan/validate.js';
import {
  createAttemptRunner,
  createVerifyLogic,
  type LateResultSink,
  withAttempts,
} from './attempt-actor.js';
import { type Clock, systemClock } from './clock.js';
import { type PlanIssue, PlanValidationError } from './errors.js';
import { guardSubscribers, type StreamName } from './guarded-stream.js';
import { createFinalizeLogic, createIntegrationLogic } from './hook-actors.js';
import { checkOrchestratorOptions } from './options.js';
import type { StampedRecord } from './records.js';
import { toJobInput, toMachineInput } from './resolve-plan.js';
import { buildView, type JobTiming, type PlanView } from './view.js';

export interface OrchestratorOptions {
  /** Source of time for timeouts, retry delays and record stamps. Default: the system clock. */
  clock?: Clock;
  /** Passed to XState's `createActor`: receives every actor, event and snapshot of the plan and its jobs. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** Receives every record; when given, each pass makes its decisions durable before acting. */
  store?: Store;
  /**
   * With a store: records between snapshots. Integer, 1 to 1,000,000,000. Default: 10,000 or twice
   * the plan's jobs, whichever is more (so that snapshots cost a plan time in proportion to its size).
   */
  snapshotEvery?: number;
}

/** A command as `send()` takes it: `ADD_JOB` carries a full job spec, functions included. */
export type Command = Exclude<PlanCommand, { type: 'ADD_JOB' }> | { type: 'ADD_JOB'; job: JobSpec };

export type CommandResult =
  | { accepted: true }
  | { accepted: false; reason: string; issues?: readonly PlanIssue[] };

export interface Orchestrator {
  /** Starts the plan. Subscribe to `events$` first to see every record. */
  start(): Orchestrator;
  /** Sends a command; the answer says whether it was accepted, and why not. */
  send(command: Command): CommandResult;
  cancel(reason?: string): CommandResult;
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
  /** The root XState actor (the plan machine), for inspection and advanced use. */
  readonly actor: Actor<typeof planMachine>;
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
  const events = new Subject<StampedRecord>();
  const timing = new Map<string, JobTiming>();
  let seq = resumption?.lastSeq ?? 0;
  let started = false;
  let outstandingAttempts = 0;
  let delivering = false;

  // Declared before the actor, which is created below: the listener only runs once it exists.
  // A plan that ended has no one to tell: `whenSettled` writes again and rejects if that fails.
  const active = () => actor.getSnapshot().status === 'active';
  const commits = {
    committed: (upTo: number) => {
      if (active()) actor.send({ type: 'COMMITTED', upTo });
    },
    // The plan holds (checkpoint `persistence`) until RESUME tries the write again.
    failed: (error: ErrorInfo) => {
      if (!active()) return;
      // Another coordinator took the plan over (fencing): this one stops its attempts and writes
      // nothing more; `whenSettled` rejects with the store's LeaseLostError.
      if (error.code === 'LEASE_LOST') actor.stop();
      else actor.send({ type: 'COMMIT_FAILED', error });
    },
  };
  const durability = store
    ? new Durability(
        store,
        resumption?.fold ?? JournalFold.start(headerOf(input)),
        options.snapshotEvery,
        commits,
      )
    : null;

  /**
   * Numbers and times a batch of records (one time for the batch: they are one step's facts).
   * Stamped copies are made only for a store or a subscriber of `events$`; otherwise only the
   * count and the view's timings move on.
   */
  const publish = (records: readonly PlanRecord[]) => {
    const at = clock.now();
    for (const record of records) noteTiming(timing, record, at);
    if (!durability && !events.observed) {
      seq += records.length;
      return;
    }
    const stamped = records.map((record) => ({ ...record, seq: ++seq, at }));
    durability?.record(stamped);
    delivering = true;
    try {
      for (const record of stamped) events.next(record);
    } finally {
      delivering = false;
    }
    reportSubscriberFailures();
  };

  const pendingFailures: PlanRecord[] = [];
  /** Reported after the delivery in progress, so every subscriber sees the records in order. */
  const reportSubscriberFailures = () => {
    if (pendingFailures.length > 0) publish(pendingFailures.splice(0));
  };
  const subscriberFailed = (stream: StreamName, thrown: unknown) => {
    const error = toErrorInfo(thrown);
    process.stderr.write(
      `warning: a subscriber of ${stream} threw ${error.name}: ${error.message}; the plan goes on (reported once per subscriber)\n`,
    );
    pendingFailures.push({ type: 'subscriber-failed', stream, error });
    if (!delivering) reportSubscriberFailures();
  };

  const finishEventsIfDone = () => {
    if (outstandingAttempts === 0 && actor.getSnapshot().status !== 'active') events.complete();
  };

  const late: LateResultSink = (event) => {
    if (actor.getSnapshot().status === 'active') {
      actor.send(event);
      return;
    }
    publish([
      {
        type: 'result-ignored',
        jobId: event.jobId,
        attemptId: event.attemptId,
        event: event.type,
        why: `plan is already ${planStatusOf(actor.getSnapshot())}`,
      },
    ]);
  };

  const attempts = {
    started: () => {
      outstandingAttempts++;
    },
    ended: () => {
      outstandingAttempts--;
      finishEventsIfDone();
    },
  };

  const job = jobMachine.provide({ actors: { verify: createVerifyLogic(jobOf) } });
  const runner = createAttemptRunner(jobOf, late, attempts, store !== undefined);
  const machine = planMachine.provide({
    actors: {
      job: withAttempts(job, runner),
      runningJob: withAttempts(enteredRunning(job), runner),
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
  // A plan paused because its store's server was unreachable goes on by itself once it is back
  // (or stops, when the store finds the plan taken over meanwhile); the RESUME is recorded with
  // its reason. A plan the user paused stays paused (their RESUME
  // writes again). Checked on the next turn of the event loop: the failure of a write that was
  // under way when the store came back is reported first, so it cannot pause the plan again after
  // the RESUME.
  const stopWatching = store?.onWritable?.(() => {
    setImmediate(() => {
      const context = active() ? actor.getSnapshot().context : null;
      if (context?.persistenceFailure && !context.userPaused) {
        send({ type: 'RESUME', reason: 'the store is writable again' });
      }
    });
  });
  if (stopWatching) actor.subscribe({ complete: stopWatching, error: stopWatching });

  const getView = (): PlanView => {
    const snapshot = actor.getSnapshot();
    const status = planStatusOf(snapshot);
    const value = snapshot.value;
    const pass = typeof value === 'object' && 'running' in value ? value.running : null;
    return buildView(
      status,
      pass,
      checkpointOf(status, snapshot.context),
      snapshot.context,
      timing,
    );
  };

  const view = new Observable<PlanView>((subscriber) => {
    let scheduled = false;
    subscriber.next(getView());
    const subscription = actor.subscribe({
      next: () => {
        if (scheduled) return;
        scheduled = true;
        queueMicrotask(() => {
          scheduled = false;
          if (!subscriber.closed) subscriber.next(getView());
        });
      },
      error: (error) => subscriber.error(error),
      complete: () => {
        queueMicrotask(() => {
          subscriber.next(getView());
          subscriber.complete();
        });
      },
    });
    return () => subscription.unsubscribe();
  });
  const view$ = guardSubscribers(view, 'view$', subscriberFailed);

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

  const reject = (
    command: unknown,
    reason: string,
    issues?: readonly PlanIssue[],
  ): CommandResult => {
    publish([{ type: 'command-rejected', command: { ...(command as PlanCommandRecord) }, reason }]);
    return issues ? { accepted: false, reason, issues } : { accepted: false, reason };
  };

  /** An added job is validated exactly like a plan's job; its spec is kept for its attempts. */
  const toMachineCommand = (command: Command): PlanCommand | CommandResult => {
    if (command.type !== 'ADD_JOB') return command;
    const issues = findAddedJobIssues({ ...plan, jobs: [...specs.values()] }, command.job);
    if (issues.length > 0) {
      const reason = `ADD_JOB rejected: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
      return reject(
        { type: 'ADD_JOB', jobId: (command.job as { id?: unknown })?.id },
        reason,
        issues,
      );
    }
    return { type: 'ADD_JOB', job: toJobInput(command.job, plan.defaultRetry, plan.onInterrupt) };
  };

  const send = (command: Command): CommandResult => {
    // A command is recorded as it was sent: one that is not plain data could not be stored or
    // shown, so it is refused (and recorded as rendered). ADD_JOB carries functions: see below.
    const type = guarded(() => (command as { type?: unknown })?.type, undefined);
    const unsendable = guarded(
      () =>
        type === 'ADD_JOB'
          ? unstorablePart((command as { job?: { input?: unknown } }).job?.input, 'job.input')
          : unstorablePart(command, 'command'),
      'command: it could not be read',
    );
    if (unsendable) {
      const recorded = toJsonSafe(
        type === 'ADD_JOB'
          ? { type, jobId: guarded(() => (command as { job?: { id?: unknown } }).job?.id, null) }
          : command,
      );
      const reason = `${renderValue(type)} rejected: ${unsendable}; send plain JSON data`;
      return reject(
        recorded !== null && typeof recorded === 'object' ? recorded : { type: renderValue(type) },
        reason,
      );
    }
    const snapshot = actor.getSnapshot();
    const status: PlanStatus = planStatusOf(snapshot);
    if (!started || snapshot.status !== 'active' || !COMMAND_TYPES.has(command?.type)) {
      // The machine never sees these: answer and record them here.
      const reason = started
        ? (rejectionOf(status, snapshot.context, command as PlanCommand) ??
          `Plan "${plan.id}" is not running`)
        : `Plan "${plan.id}" has not been started; call start() before sending ${String(command?.type)}`;
      return reject(command, reason);
    }
    const machineCommand = toMachineCommand(command);
    if ('accepted' in machineCommand) return machineCommand;
    const reason = rejectionOf(status, snapshot.context, machineCommand);
    if (reason === null && command.type === 'ADD_JOB') specs.set(command.job.id, command.job);
    // The machine checks the command again and records the verdict in `events$` (the audit log).
    actor.send(machineCommand);
    return reason === null ? { accepted: true } : { accepted: false, reason };
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
    view$,
    events$: guardSubscribers(events.asObservable(), 'events$', subscriberFailed),
    whenSettled,
    actor,
  };
  return orchestrator;
}

function noteTiming(timing: Map<string, JobTiming>, record: PlanRecord, at: number): void {
  switch (record.type) {
    case 'attempt-started':
      timing.set(record.jobId, { startedAt: at });
      return;
    case 'job-succeeded':
    case 'job-failed':
    case 'job-skipped':
    case 'job-canceled':
    case 'job-blocked': {
      const entry = timing.get(record.jobId) ?? {};
      entry.endedAt = at;
      timing.set(record.jobId, entry);
      return;
    }
  }
}
