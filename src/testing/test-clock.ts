import type { Clock } from '../shared/clock.js';

interface Timer {
  id: number;
  dueAt: number;
  fn: () => void;
}

/**
 * A simulated clock. Time moves only when the test calls `advance`, and timers fire one by one
 * in due order with `now()` equal to their due time, so a retry delay of 1 000 ms is observed as
 * exactly 1 000 ms.
 */
export class TestClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  constructor(startAt = 0) {
    this.current = startAt;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: (...args: unknown[]) => void, timeoutMs: number): number {
    const id = this.nextId++;
    this.timers.set(id, { id, dueAt: this.current + Math.max(0, timeoutMs), fn });
    return id;
  }

  clearTimeout(id: unknown): void {
    this.timers.delete(id as number);
  }

  /** Timers not yet fired, as due times. */
  pendingTimers(): number[] {
    return [...this.timers.values()].map((t) => t.dueAt).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance() needs a duration >= 0 ms; got ${ms}`);
    const target = this.current + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.timers.values()) {
        if (timer.dueAt <= target && (!next || timer.dueAt < next.dueAt)) next = timer;
      }
      if (!next) break;
      this.timers.delete(next.id);
      this.current = next.dueAt;
      next.fn();
    }
    this.current = target;
  }
}
