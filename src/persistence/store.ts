import { hostname } from 'node:os';
import type { PlanMachineInput } from '../../machines/plan/context.js';
import { RestoreError, StateLockedError, type StateOwner } from '../shared/errors.js';
import type { StampedRecord } from '../shared/records.js';
import { checkSnapshot, type PlanSnapshot, snapshotJson } from './snapshot.js';

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
 *
 * The contract every store keeps (test/persistence/store-conformance.ts checks it):
 * - whole records: what a resolved `flush` covered is loaded back exactly; a failed flush counts
 *   nothing as durable, leaves no part of a record behind, and keeps the records to write again;
 * - order: records load in the order they were appended;
 * - one owner: while one handle holds the plan's state (`acquire`), every other is refused with a
 *   `StateLockedError` naming the owner, until `relinquish` (or the owner's process is gone);
 * - any prefix: a journal cut anywhere loads its whole records (a torn last one dropped with a
 *   warning).
 */
export interface Store {
  /**
   * Makes this handle the only owner of the plan's state; rejects with a `StateLockedError`
   * (code `STATE_LOCKED`) naming the live owner. `resumeOrchestrator` calls it before `load`; a
   * store given to `createOrchestrator` that was not acquired takes ownership with its first
   * write (a refusal then pauses the plan at the `persistence` checkpoint).
   */
  acquire(): Promise<void>;
  /** Gives ownership up, so another process may take the state; harmless when not held. */
  relinquish(): Promise<void>;
  /** Starts a new journal; called once, before the first record. */
  begin(header: JournalHeader): void;
  /** Buffers records in order; never throws. */
  append(records: readonly StampedRecord[]): void;
  /**
   * Resolves once everything given so far is durable; rejects with a `PersistenceError`, or with a
   * `LeaseLostError` (code `LEASE_LOST`) once another owner took the plan over (then for good).
   */
  flush(): Promise<void>;
  /** Stores a snapshot, replacing the previous one at once (never half written). */
  writeSnapshot(snapshot: PlanSnapshot): Promise<void>;
  /**
   * Reads the journal back as new objects, which the caller may change; rejects with a
   * `RestoreError` naming what is wrong.
   */
  load(): Promise<StoredPlan>;
  /**
   * Optional, for a store whose writes fail while its server is unreachable: calls `listener`
   * each time it can write again, so that a plan paused at `persistence` goes on by itself.
   * Returns the function that stops listening.
   */
  onWritable?(listener: () => void): () => void;
}

let owners = 0;

/**
 * Keeps the journal in memory; `flush` is immediate. For tests and short-lived plans. The object
 * is the storage: one owner at a time may hold it (`acquire`), within this process.
 */
export class MemoryStore implements Store {
  header: JournalHeader | null = null;
  readonly records: StampedRecord[] = [];
  snapshot: string | null = null;
  private owner: StateOwner | null = null;

  async acquire(): Promise<void> {
    if (this.owner) {
      throw new StateLockedError(
        'memory store',
        this.owner,
        `The memory store is in use by another orchestrator of this process (owner since ${this.owner.startedAt}); relinquish it first`,
      );
    }
    this.owner = {
      pid: process.pid,
      host: hostname(),
      startedAt: new Date().toISOString(),
      ownerId: `memory-${++owners}`,
    };
  }

  async relinquish(): Promise<void> {
    this.owner = null;
  }

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
    this.snapshot = snapshotJson(snapshot);
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
