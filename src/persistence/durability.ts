import type { ErrorInfo } from '../../machines/errors.js';
import { toErrorInfo } from '../../machines/errors.js';
import type { StampedRecord } from '../shared/records.js';
import type { JournalFold } from './journal-fold.js';
import { SnapshotText } from './snapshot.js';
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
 * plan's state (folded as the flush that writes it starts); every `snapshotEvery` records a
 * snapshot of the fold falls due, is taken by the next flush, and is written once the journal
 * holds everything it covers (a snapshot never gets ahead of the journal).
 *
 * Every record is made durable promptly, whatever state the plan is in (paused, awaiting an
 * approval, finalizing): recording schedules a flush for the next turn of the event loop, so that a
 * job's result or a pause is on disk without waiting for the next scheduling pass. One flush runs
 * at a time and takes everything recorded until it starts (group commit); records that arrive
 * while it runs go with the next one. A pass that asks for its decisions to be durable
 * (`request`) hears `committed` only after a flush that started after its request (write-ahead).
 * A failed flush is reported once, and writing stops until the plan asks again (`RESUME`).
 *
 * A snapshot is the fold serialized by the flush it falls due in, right after that flush's write
 * is issued: the text is its copy of the state (the fold goes on changing), made while the disk
 * writes, and it covers exactly what that write holds. It is written after the write, beside
 * the flushes that follow: the plan hears `committed` without waiting for it, and a snapshot's
 * failure is reported like a flush's. Snapshots are written one at a time, in order.
 *
 * Unless configured, the snapshot interval grows with the plan: 10,000 records or twice its jobs,
 * whichever is more. A snapshot costs in proportion to the plan's size, so a fixed interval would
 * make the store's total cost grow with the square of the plan; this way a plan writes a few
 * snapshots in its life whatever its size, and a restore folds a tail no longer than the plan.
 */
export class Durability {
  /** A snapshot fell due: the next flush takes it. */
  private due = false;
  private lastSnapshotSeq: number;
  private flushing: Promise<void> | null = null;
  /** The snapshot being written (snapshots never overlap, so an older one never lands last). */
  private snapshotting: Promise<void> | null = null;
  /**
   * Records given and not folded yet. Only a snapshot reads the fold, so records are folded as a
   * flush starts, after its write is issued: while the disk writes, not while the plan decides.
   */
  private readonly unfolded: StampedRecord[] = [];
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
    if (records.length === 0) return;
    this.store.append(records);
    for (const record of records) this.unfolded.push(record);
    const seq = records[records.length - 1]!.seq;
    const every =
      this.snapshotEvery ?? Math.max(MIN_SNAPSHOT_EVERY, 2 * this.fold.state.context.order.length);
    if (seq - this.lastSnapshotSeq >= every) {
      this.due = true;
      this.lastSnapshotSeq = seq;
    }
    this.unflushed = true;
    this.schedule();
  }

  /** Folds the records given since the last flush started. */
  private foldRecorded(): void {
    for (const record of this.unfolded) this.fold.apply(record);
    this.unfolded.length = 0;
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
      if (this.unflushed || this.requested > this.covered) {
        await this.flush();
        continue;
      }
      // Nothing is left to the store once the plan settled: a snapshot under way ends first.
      if (!this.snapshotting) return;
      await this.snapshotting;
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

  /** One flush of everything recorded so far; takes a snapshot that fell due, written after. */
  private async flush(): Promise<void> {
    const covering = this.requested;
    this.unflushed = false;
    let finished!: () => void;
    // Set before the store is called, so that a store that throws at once still clears it.
    this.flushing = new Promise((resolve) => {
      finished = resolve;
    });
    let snapshot: SnapshotText | null = null;
    try {
      const written = this.store.flush();
      this.foldRecorded();
      snapshot = this.takeSnapshot();
      await written;
    } catch (error) {
      this.unflushed = true; // what it held is written again by the next flush
      // The snapshot falls due again: it covers records that only a later flush makes durable.
      if (snapshot) this.due = true;
      throw error;
    } finally {
      this.flushing = null;
      finished();
    }
    if (snapshot) this.writeSnapshot(snapshot);
    if (covering > this.covered) {
      this.covered = covering;
      this.listener.committed(covering);
    }
  }

  /**
   * The fold as JSON text, when a snapshot fell due and the plan is not ending (a plan that ended
   * or is being canceled is never resumed: a snapshot would only delay its end). Called as a
   * flush starts: the text covers exactly the records that flush writes.
   */
  private takeSnapshot(): SnapshotText | null {
    if (!this.due) return null;
    this.due = false;
    const state = this.fold.state;
    if (state.finished !== null || state.context.cancel !== null) return null;
    return SnapshotText.of(this.fold.snapshot());
  }

  /** Writes a snapshot after the one under way; a failure halts writing as a flush's does. */
  private writeSnapshot(snapshot: SnapshotText): void {
    const writing = (this.snapshotting ?? Promise.resolve())
      .then(() => this.store.writeSnapshot(snapshot))
      .then(
        () => {},
        (error: unknown) => {
          if (this.halted) return; // a flush failed meanwhile and was reported
          this.halted = true;
          this.listener.failed(toErrorInfo(error));
        },
      )
      .finally(() => {
        if (this.snapshotting === writing) this.snapshotting = null;
      });
    this.snapshotting = writing;
  }
}
