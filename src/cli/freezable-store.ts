import type { PlanSnapshot } from '../persistence/journal-fold.js';
import type { JournalHeader, Store, StoredPlan } from '../persistence/store.js';
import type { StampedRecord } from '../runtime/records.js';

/**
 * Any store, able to stop taking commits: once frozen, a flush never completes, so the plan
 * starts nothing new (write-ahead) while what was recorded before stays written.
 */
export class FreezableStore<S extends Store> implements Store {
  private frozen = false;

  constructor(readonly inner: S) {}

  /** Where the inner store keeps the plan, for messages that name it. */
  get path(): string | undefined {
    return (this.inner as { path?: string }).path;
  }

  acquire(): Promise<void> {
    return this.inner.acquire();
  }

  relinquish(): Promise<void> {
    return this.inner.relinquish();
  }

  begin(header: JournalHeader): void {
    this.inner.begin(header);
  }

  append(records: readonly StampedRecord[]): void {
    this.inner.append(records);
  }

  flush(): Promise<void> {
    return this.frozen ? new Promise(() => {}) : this.inner.flush();
  }

  writeSnapshot(snapshot: PlanSnapshot): Promise<void> {
    return this.inner.writeSnapshot(snapshot);
  }

  load(): Promise<StoredPlan> {
    return this.inner.load();
  }

  /** Writes what was recorded so far, then accepts nothing more. */
  async freeze(): Promise<void> {
    const last = this.inner.flush();
    this.frozen = true;
    await last.catch(() => {});
  }
}
