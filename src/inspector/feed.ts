import type { InspectionEvent, StateValue } from 'xstate';
import { jobMachine } from '../../machines/job.machine.js';
import { planMachine } from '../../machines/plan.machine.js';
import { toJsonSafe } from '../../machines/safe-value.js';
import { type MachineGraph, machineGraphOf } from '../observe/machine-graph.js';
import type { Orchestrator } from '../runtime/orchestrator.js';
import type { JobView, PlanView } from '../runtime/view.js';
import type { StampedRecord } from '../shared/records.js';
import type { ExternalEntry } from './external.js';

// What the page's script (page/app.js, checked by TypeScript) reads these messages with.
export type { JobView, MachineGraph, PlanView, StateValue };

/** What the page is told first: everything needed to draw the plan as it is now. */
export interface HelloMessage {
  type: 'hello';
  machines: { plan: MachineGraph; job: MachineGraph };
  view: PlanView;
  planState: StateValue;
  jobStates: Record<string, StateValue>;
  /** The latest records, oldest first (at most `LOG_SIZE`). */
  log: StampedRecord[];
  ended: boolean;
}

/** What changed since the last message. */
export interface UpdateMessage {
  type: 'update';
  plan: Omit<PlanView, 'jobs'>;
  /** The jobs the new records are about, as they are now. */
  jobs: JobView[];
  planState: StateValue;
  /** Every state the plan machine passed through, in order: `reconciling` shows here too. */
  planTrail: StateValue[];
  /** The job statecharts that moved, by job id. */
  jobStates: Record<string, StateValue>;
  records: StampedRecord[];
  /** Records left out of this message to keep it small; the log says so. */
  omitted: number;
}

export interface EndedMessage {
  type: 'ended';
  status: PlanView['status'];
}

export type FeedMessage = HelloMessage | UpdateMessage | EndedMessage;

/** An XState app's inspection traffic, passed on to the pages (see `external.ts`). */
export interface ExternalMessage {
  type: 'external';
  entry: ExternalEntry;
}

/** Everything a page receives on its WebSocket. */
export type PageMessage = FeedMessage | ExternalMessage;

/** Everything of a message is kept; only values JSON cannot hold are rendered. */
const WHOLE = {
  depth: Number.POSITIVE_INFINITY,
  entries: Number.POSITIVE_INFINITY,
  stringChars: Number.POSITIVE_INFINITY,
};

/**
 * A message as the text sent to pages. Outputs and progress are the jobs' own values: without a
 * store nothing forces them to be JSON, so a BigInt, a cycle or a throwing `toJSON` is rendered
 * (`"10n"`, `"[Circular]"`) instead of throwing in the middle of the server.
 */
export function encodeFeedMessage(message: object): string {
  try {
    return JSON.stringify(message);
  } catch {
    return JSON.stringify(toJsonSafe(message, WHOLE));
  }
}

/** Records kept for pages that connect later. */
const LOG_SIZE = 1000;
/** Records sent in one update at most; more arrive only in very large, very fast plans. */
const RECORDS_PER_UPDATE = 2000;
/** How often updates go out at most: often enough to watch, rare enough for big plans. */
const UPDATE_EVERY_MS = 100;

/**
 * The live state of one orchestrator as the inspector page sees it: a snapshot for pages that
 * connect, then coalesced updates. It watches through the actor system's inspection stream, the
 * plan's records and its view; it never sends anything to the plan.
 */
export class InspectorFeed {
  private readonly listeners = new Set<(message: FeedMessage) => void>();
  private readonly log: StampedRecord[] = [];
  private readonly jobStates = new Map<string, StateValue>();
  private pending: {
    records: StampedRecord[];
    omitted: number;
    trail: StateValue[];
    jobStates: Map<string, StateValue>;
  } | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private endedStatus: PlanView['status'] | null = null;
  private readonly machines = {
    plan: machineGraphOf(planMachine),
    job: machineGraphOf(jobMachine),
  };
  private readonly unsubscribe: Array<() => void> = [];
  /** Resolves once the plan ended and the last update went out. */
  readonly ended: Promise<void>;

  constructor(private readonly orchestrator: Orchestrator) {
    const root = orchestrator.actor;
    const inspection = root.system.inspect((event: InspectionEvent) => this.inspected(event));
    this.unsubscribe.push(() => inspection.unsubscribe());
    const records = orchestrator.events$.subscribe((record) => this.recorded(record));
    this.unsubscribe.push(() => records.unsubscribe());
    // The plan's end, not the end of `events$`: that waits for attempts that ignore their abort.
    this.ended = orchestrator.whenSettled().then(
      (view) => this.end(view.status),
      () => this.end(orchestrator.getView().status),
    );
  }

  private end(status: PlanView['status']): void {
    this.flush();
    this.endedStatus = status;
    this.emit({ type: 'ended', status });
  }

  hello(): HelloMessage {
    return {
      type: 'hello',
      machines: this.machines,
      view: this.orchestrator.getView(),
      planState: this.orchestrator.actor.getSnapshot().value,
      jobStates: Object.fromEntries(this.jobStates),
      log: this.log.slice(-LOG_SIZE),
      ended: this.endedStatus !== null,
    };
  }

  subscribe(listener: (message: FeedMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.listeners.clear();
  }

  private inspected(event: InspectionEvent): void {
    if (
      event.type === '@xstate.microstep' &&
      event.actorRef.sessionId === this.orchestrator.actor.sessionId
    ) {
      const trail = this.changes().trail;
      const value = (event.snapshot as { value?: StateValue }).value;
      if (value !== undefined && JSON.stringify(trail.at(-1)) !== JSON.stringify(value)) {
        trail.push(value);
      }
      return;
    }
    if (event.type !== '@xstate.snapshot') return;
    const snapshot = event.snapshot as {
      machine?: { id?: string };
      value?: StateValue;
      context?: { jobId?: unknown };
    };
    const jobId = snapshot.context?.jobId;
    if (snapshot.machine?.id !== 'job' || typeof jobId !== 'string') return;
    this.jobStates.set(jobId, snapshot.value!);
    this.changes().jobStates.set(jobId, snapshot.value!);
  }

  private recorded(record: StampedRecord): void {
    this.log.push(record);
    if (this.log.length > LOG_SIZE * 2) this.log.splice(0, this.log.length - LOG_SIZE);
    const changes = this.changes();
    if (changes.records.length < RECORDS_PER_UPDATE) changes.records.push(record);
    else changes.omitted++;
  }

  /** The changes not sent yet, with an update scheduled for them. */
  private changes(): NonNullable<InspectorFeed['pending']> {
    if (!this.pending) {
      this.pending = { records: [], omitted: 0, trail: [], jobStates: new Map() };
      this.timer = setTimeout(() => this.flush(), UPDATE_EVERY_MS);
      this.timer.unref?.();
    }
    return this.pending;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const pending = this.pending;
    this.pending = null;
    if (!pending) return;
    const { jobs, ...plan } = this.orchestrator.getView();
    const touched = new Set(
      pending.records.flatMap((record) => ('jobId' in record ? [record.jobId] : [])),
    );
    this.emit({
      type: 'update',
      plan,
      jobs: pending.omitted > 0 ? jobs : jobs.filter((job) => touched.has(job.id)),
      planState: this.orchestrator.actor.getSnapshot().value,
      planTrail: pending.trail,
      jobStates: Object.fromEntries(pending.jobStates),
      records: pending.records,
      omitted: pending.omitted,
    });
  }

  private emit(message: FeedMessage): void {
    for (const listener of this.listeners) listener(message);
  }
}
