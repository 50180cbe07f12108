import type { PlanMachineInput } from '../../machines/plan/context.js';
import { RestoreError } from '../runtime/errors.js';
import type { StampedRecord } from '../runtime/records.js';
import { checkSnapshot, type PlanSnapshot } from './journal-fold.js';

/** Version of the stored format; a journal of another version is refused, never guessed at. */
export const JOURNAL_FORMAT = 1;

/** The first entry of a journal: what plan it is, without the functions. */
export interface JournalHeader {
  format: typeof JOURNAL_FORMAT;
  planId: string;
  input: Omit<PlanMachineInput, 'writeAhead'>;
}

/** What a store gives back to resume a plan. */
export interface StoredPlan {
  header: JournalHeader;
  /** The latest snapshot, when one was written. */
  snapshot: PlanSnapshot | null;
  /** The records after the snapshot (all of them without one). */
  records: StampedRecord[];
  /** Problems that were repaired, such as a torn last line that was dropped. */
  warnings: string[];
}

/**
 * Where a plan's records go. With a store, every scheduling pass makes its decisions durable
 * (`flush`) before it starts the attempts it decided (write-ahead), and the records of one pass
 * are written together (group commit).
 */
export interface Store {
  /** Starts a new journal; called once, before the first record. */
  begin(header: JournalHeader): void;
  /** Buffers records in order; never throws. */
  append(records: readonly StampedRecord[]): void;
  /** Resolves once everything given so far is durable; rejects with a `PersistenceError`. */
  flush(): Promise<void>;
  /** Stores a snapshot, replacing the previous one at once (never half written). */
  writeSnapshot(snapshot: PlanSnapshot): Promise<void>;
  /**
   * Reads the journal back as new objects, which the caller may change; rejects with a
   * `RestoreError` naming what is wrong.
   */
  load(): Promise<StoredPlan>;
}

/** Keeps the journal in memory; `flush` is immediate. For tests and short-lived plans. */
export class MemoryStore implements Store {
  header: JournalHeader | null = null;
  readonly records: StampedRecord[] = [];
  snapshot: string | null = null;

  begin(header: JournalHeader): void {
    this.header = header;
    this.records.length = 0;
  }

  append(records: readonly StampedRecord[]): void {
    this.records.push(...records);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  async writeSnapshot(snapshot: PlanSnapshot): Promise<void> {
    this.snapshot = JSON.stringify(snapshot);
  }

  async load(): Promise<StoredPlan> {
    if (!this.header) {
      throw new RestoreError('memory store', null, 'it holds no plan (begin() was never called)');
    }
    const snapshot = this.snapshot
      ? checkSnapshot(JSON.parse(this.snapshot), 'memory store')
      : null;
    const after = snapshot?.seq ?? 0;
    const records = structuredClone(this.records.filter((record) => record.seq > after));
    return { header: this.header, snapshot, records, warnings: [] };
  }
}
