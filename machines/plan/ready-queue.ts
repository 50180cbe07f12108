/**
 * Ready jobs ordered by rank (higher first; a job's `pathPriority`, see critical-path.ts), ties
 * in declaration order. A binary heap of `[rank, index]` pairs kept as plain arrays so it stays
 * serializable. Entries are removed lazily: a job that stops being `queued` is skipped when it
 * reaches the top.
 */
export type ReadyQueue = Array<[rank: number, index: number]>;

function before(a: [number, number], b: [number, number]): boolean {
  return a[0] !== b[0] ? a[0] > b[0] : a[1] < b[1];
}

export function pushReady(queue: ReadyQueue, rank: number, index: number): void {
  const entry: [number, number] = [rank, index];
  let i = queue.push(entry) - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(entry, queue[parent]!)) break;
    queue[i] = queue[parent]!;
    i = parent;
  }
  queue[i] = entry;
}

/** Removes and returns the index of the first ready job, or -1 when the queue is empty. */
export function popReady(queue: ReadyQueue): number {
  const top = queue[0];
  if (!top) return -1;
  const last = queue.pop()!;
  if (queue.length > 0) {
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= queue.length) break;
      const right = left + 1;
      const child = right < queue.length && before(queue[right]!, queue[left]!) ? right : left;
      if (!before(queue[child]!, last)) break;
      queue[i] = queue[child]!;
      i = child;
    }
    queue[i] = last;
  }
  return top[1];
}
