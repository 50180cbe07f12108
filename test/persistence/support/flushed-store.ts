import type { StampedRecord } from '../../../src/index.js';
import { MemoryStore } from '../../../src/index.js';

/**
 * A memory store that keeps apart what was only appended and what a flush made durable, as a
 * process's memory and its disk are: `crashed()` gives the store a process killed now leaves.
 * `failNextFlush` makes the next flush fail like a full disk (the records stay to be written).
 */
export class FlushedStore extends MemoryStore {
  private buffered: StampedRecord[] = [];
  failNextFlush = false;
  flushes = 0;

  override append(records: readonly StampedRecord[]): void {
    this.buffered.push(...records);
  }

  override async flush(): Promise<void> {
    this.flushes++;
    if (this.failNextFlush) {
      this.failNextFlush = false;
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    this.records.push(...this.buffered);
    this.buffered = [];
  }

  /** What survives a SIGKILL now: the header, the durable records and the last snapshot. */
  crashed(): MemoryStore {
    const copy = new MemoryStore();
    copy.begin(this.header!);
    copy.append(this.records);
    copy.snapshot = this.snapshot;
    return copy;
  }
}
