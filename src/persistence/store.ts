import type { StampedRecord } from '../runtime/records.js';

/**
 * Where a plan's records go. With a store, every scheduling pass makes its decisions durable
 * (`flush`) before it starts the attempts it decided (write-ahead).
 */
export interface Store {
  /** Buffers records in order; must not throw for well-formed records. */
  append(records: readonly StampedRecord[]): void;
  /** Resolves once everything appended so far is durable. */
  flush(): Promise<void>;
}

/** Keeps records in memory; `flush` is immediate. Useful for tests and short-lived plans. */
export class MemoryStore implements Store {
  readonly records: StampedRecord[] = [];

  append(records: readonly StampedRecord[]): void {
    this.records.push(...records);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }
}
