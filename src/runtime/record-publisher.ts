import { Subject } from 'rxjs';
import { toErrorInfo } from '../../machines/errors.js';
import type { PlanRecord } from '../../machines/plan/records.js';
import type { Durability } from '../persistence/durability.js';
import type { Clock } from '../shared/clock.js';
import { notePlacement } from '../shared/placement.js';
import type { StampedRecord } from '../shared/records.js';
import type { StreamName } from './guarded-stream.js';
import type { JobTiming } from './view.js';

/**
 * Numbers and times the plan's records, hands them to the store and to `events$`, and turns a
 * subscriber's exception into a `subscriber-failed` record of its own.
 */
export class RecordPublisher {
  readonly events = new Subject<StampedRecord>();
  readonly timing = new Map<string, JobTiming>();
  private seq: number;
  private delivering = false;
  private readonly pendingFailures: PlanRecord[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly durability: Durability | null,
    lastSeq: number,
  ) {
    this.seq = lastSeq;
  }

  /**
   * Numbers and times a batch of records (one time for the batch: they are one step's facts),
   * only for a store or a subscriber of `events$`; otherwise only the count and the view's
   * timings move on. The records are the plan's, made for this batch and held by no one else:
   * they are stamped as they are, not copied.
   */
  readonly publish = (records: readonly PlanRecord[]): void => {
    const at = this.clock.now();
    for (const record of records) noteTiming(this.timing, record, at);
    if (!this.durability && !this.events.observed) {
      this.seq += records.length;
      return;
    }
    const stamped = records as StampedRecord[];
    for (const record of stamped) {
      record.seq = ++this.seq;
      record.at = at;
    }
    this.durability?.record(stamped);
    this.delivering = true;
    try {
      for (const record of stamped) this.events.next(record);
    } finally {
      this.delivering = false;
    }
    this.reportSubscriberFailures();
  };

  /**
   * Takes the timings of records an earlier run of the plan wrote (a resumed plan's journal), so
   * that the view knows when its jobs started and ended and which worker runs them before any of
   * them reports again.
   */
  recall(records: readonly StampedRecord[]): void {
    for (const record of records) noteTiming(this.timing, record, record.at);
  }

  readonly subscriberFailed = (stream: StreamName, thrown: unknown): void => {
    const error = toErrorInfo(thrown);
    process.stderr.write(
      `warning: a subscriber of ${stream} threw ${error.name}: ${error.message}; the plan goes on (reported once per subscriber)\n`,
    );
    this.pendingFailures.push({ type: 'subscriber-failed', stream, error });
    if (!this.delivering) this.reportSubscriberFailures();
  };

  /** Reported after the delivery in progress, so every subscriber sees the records in order. */
  private reportSubscriberFailures(): void {
    if (this.pendingFailures.length > 0) this.publish(this.pendingFailures.splice(0));
  }
}

function noteTiming(timing: Map<string, JobTiming>, record: PlanRecord, at: number): void {
  switch (record.type) {
    case 'attempt-started':
      timing.set(record.jobId, { startedAt: at });
      return;
    case 'attempt-failed':
      // The attempt is over: it no longer waits on its queue.
      delete timing.get(record.jobId)?.waiting;
      return;
    case 'job-progress': {
      const entry = timing.get(record.jobId);
      if (entry) notePlacement(entry, record.progress);
      return;
    }
    case 'job-succeeded':
    case 'job-failed':
    case 'job-skipped':
    case 'job-canceled':
    case 'job-blocked': {
      const entry = timing.get(record.jobId) ?? {};
      entry.endedAt = at;
      delete entry.waiting;
      timing.set(record.jobId, entry);
      return;
    }
  }
}
