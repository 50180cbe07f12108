import type { ErrorInfo } from '../../machines/errors.js';
import { toErrorInfo } from '../../machines/errors.js';
import type { StampedRecord } from '../shared/records.js';
import type { JournalFold } from './journal-fold.js';
import type { PlanSnapshot } from './snapshot.js';
import type { Store } from './store.js';

/** Records between two snapshots at the least when not configured. */
const MIN_SNAPSHOT_EVERY = 10_000;

/** Where a running plan learns how its writes went. */
export interface CommitListener {
  /** Everything the plan had asked to make durable, up to request `upTo`, is durable. */
  committed(upTo: number): void;
  /** A write failed; nothing more is written until the plan asks again (`request`). */
  failed(error: ErrorInfo): void;
}

/**
 * A running plan's side of its store: every record goes to the journal and into a fold of the
 * plan's state; every `snapshotEvery` records the fold is copied, and the copy is written once
 * the journal holds everything it covers (a snapshot never gets ahead of the journal).
 *
 * Every record is made durable promptly, whatever state the plan is in (paused, awaiting an
 * approval, finalizing): recording schedules a flush for the next turn of the event loop, so that a
 * job's result or a pause is on disk without waiting for the next scheduling pass. One flush runs
 * at a time and takes everything recorded until it starts (group commit); records that arrive
 * while it runs go with the next one. A pass that asks for its decisions to be durable
 * (`request`) hears `committed` only after a flush that started after its request (write-ahead).
 * A failed flush is reported once, and writing stops until the plan asks again (`RESUME`).
 *
 * Unless configured, the snapshot interval grows with the plan: 10,000 records or twice its jobs,
 * whichever is more. A snapshot costs in proportion to the plan's size, so a fixed interval would
 * make the store's total cost grow with the square of the plan; this way a plan writes a few
 * snapshots in its life whatever its size, and a restore folds a tail no longer than the plan.
 */
export class Durability {
  private due: PlanSnapshot | null = null;
  private lastSnapshotSeq: number;
  private flushing: Promise<void> | null = null;
  /** Records were appended since the running (or last) flush started. */
  private unflushed = false;
  private scheduled = false;
  /** The latest request of the plan, and the latest a finished flush covered. */
  private requested = 0;
  private covered = 0;
  /** The last flush failed: nothing is written until the plan asks again. */
  private halted = false;

  constructor(
    private readonly store: Store,
    private readonly fold: JournalFold,
    private readonly snapshotEvery: number | undefined,
    private readonly listener: CommitListener,
  ) {
    this.lastSnapshotSeq = fold.state.seq;
  }

  record(records: readonly StampedRecord[]): void {
    this.store.append(records);
    for (const record of records) this.fold.apply(record);
    const every =
      this.snapshotEvery ?? Math.max(MIN_SNAPSHOT_EVERY, 2 * this.fold.state.context.order.length);
    // A plan that ended or is being canceled is never resumed: a snapshot would only delay its end.
    const ending = this.fold.state.finished !== null || this.fold.state.context.cancel !== null;
    if (!ending && this.fold.state.seq - this.lastSnapshotSeq >= every) {
      this.due = structuredClone(this.fold.snapshot());
      this.lastSnapshotSeq = this.fold.state.seq;
    }
    this.unflushed = true;
    this.schedule();
  }

  /** The plan asks for everything recorded so far to be durable; `committed(upTo)` answers. */
  request(upTo: number): void {
    this.requested = Math.max(this.requested, upTo);
    this.halted = false;
    this.schedule();
  }

  /**
   * Starts a flush after the pending I/O callbacks: everything recorded and asked for until then
   * (the results of jobs that finish in the meantime, and the decisions of the passes they run)
   * goes in one write.
   */
  private schedule(): void {
    if (this.scheduled || this.halted) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.next();
    });
  }

  /**
   * Writes now, even with nothing recorded: the store said its state changed (it can write
   * again, or found its plan taken over), and a write is how the plan learns which. After a
   * failure nothing is written until the plan asks again (`RESUME`).
   */
  probe(): void {
    if (this.halted) return;
    this.unflushed = true;
    this.next();
  }

  /**
   * Resolves once everything recorded so far is durable (trying again after a failure); rejects
   * when the write fails. For the end of a plan, when no one is left to send `RESUME`.
   */
  async drain(): Promise<void> {
    this.halted = false;
    for (;;) {
      if (this.flushing) {
        await this.flushing;
        continue;
      }
      if (!this.unflushed && this.requested <= this.covered) return;
      await this.flush();
    }
  }

  /** Starts a flush when one is owed and none runs; reports its outcome to the listener. */
  private next(): void {
    if (this.flushing || this.halted) return;
    if (!this.unflushed && this.requested <= this.covered) return;
    this.flush().then(
      () => this.schedule(),
      (error: unknown) => {
        this.halted = true;
        this.listener.failed(toErrorInfo(error));
      },
    );
  }

  /** One flush of everything recorded so far, then a snapshot that fell due. */
  private async flush(): Promise<void> {
    const covering = this.requested;
    // Only a snapshot due by now: it covers records this flush writes. One that falls due while
    // it writes covers records that only the next flush writes, so it waits for that one.
    const snapshot = this.due;
    this.due = null;
    let journaled = false;
    this.unflushed = false;
    let finished!: () => void;
    // Set before the store is called, so that a store that throws at once still clears it.
    this.flushing = new Promise((resolve) => {
      finished = resolve;
    });
    try {
      await this.store.flush();
      journaled = true;
      if (snapshot) await this.store.writeSnapshot(snapshot);
    } catch (error) {
      this.unflushed = true; // what it held is written again by the next flush
      if (!journaled) this.due ??= snapshot;
      throw error;
    } finally {
      this.flushing = null;
      finished();
    }
    if (covering > this.covered) {
      this.covered = covering;
      this.listener.committed(covering);
    }
  }
}
