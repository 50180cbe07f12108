import { MemoryStore } from '../persistence/store.js';

/**
 * A memory store whose flushes the test completes by hand, to hold a scheduling pass "in
 * flight" while other events arrive.
 */
export class HeldStore extends MemoryStore {
  private holding = false;
  private waiting: Array<() => void> = [];

  override flush(): Promise<void> {
    if (!this.holding) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** From now on flushes stay pending until `release`. */
  hold(): void {
    this.holding = true;
  }

  /** Completes the pending flushes; with `keepHolding`, later flushes are held again. */
  release(keepHolding = false): void {
    this.holding = keepHolding;
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  get pendingFlushes(): number {
    return this.waiting.length;
  }
}
