import type { StampedRecord } from '../runtime/records.js';
import type { JournalFold, PlanSnapshot } from './journal-fold.js';
import type { Store } from './store.js';

/** Records between two snapshots at the least when not configured. */
const MIN_SNAPSHOT_EVERY = 10_000;

/**
 * A running plan's side of its store: every record goes to the journal and into a fold of the
 * plan's state; every `snapshotEvery` records the fold is copied, and the copy is written once
 * the journal holds everything it covers (a snapshot never gets ahead of the journal).
 *
 * Unless configured, the interval grows with the plan: 10,000 records or twice its jobs, whichever
 * is more. A snapshot costs in proportion to the plan's size, so a fixed interval would make the
 * store's total cost grow with the square of the plan; this way a plan writes a few snapshots in
 * its life whatever its size, and a restore folds a tail no longer than the plan.
 */
export class Durability {
  private due: PlanSnapshot | null = null;
  private lastSnapshotSeq: number;

  constructor(
    private readonly store: Store,
    private readonly fold: JournalFold,
    private readonly snapshotEvery: number | undefined,
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
  }

  /** Makes everything recorded so far durable, then writes a snapshot that fell due. */
  async commit(): Promise<void> {
    await this.store.flush();
    const snapshot = this.due;
    if (!snapshot) return;
    this.due = null;
    await this.store.writeSnapshot(snapshot);
  }
}
