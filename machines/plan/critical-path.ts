import { pushReady, type ReadyQueue } from './ready-queue.js';

/** What ranking reads and writes of a job record (context.ts builds the records from it). */
interface RankedJob {
  readonly index: number;
  readonly priority: number;
  readonly dependsOn: readonly string[];
  readonly dependents: readonly string[];
  readonly status: string;
  pathPriority: number;
}

/**
 * Critical-path ranking: a job ranks by its own priority plus the highest rank among the jobs
 * that need it (a negative rank downstream counts as 0, so needing a job never lowers it). A job
 * that a high-priority job waits for is therefore started ahead of unrelated work, and a chain of
 * jobs ranks by the sum along its path, like a critical path when priorities stand for durations.
 * Plans where no one sets a priority rank every job 0: declaration order, as before.
 *
 * `rankJobs` sets `pathPriority` of every job in O(jobs + edges): dependents before their
 * dependencies (Kahn's algorithm run from the sinks), iterative, on typed arrays, so a plan of
 * 100,000 jobs in one chain needs no deep stack. The result follows from the plan alone, so a
 * restored plan is ranked again the same way.
 */
export function rankJobs(order: readonly string[], jobs: Record<string, RankedJob>): void {
  const count = order.length;
  const records: RankedJob[] = new Array(count);
  const unranked = new Int32Array(count);
  const pending = new Int32Array(count);
  let top = 0;
  for (let i = 0; i < count; i++) {
    const job = jobs[order[i]!]!;
    records[i] = job;
    unranked[i] = job.dependents.length;
    if (unranked[i] === 0) pending[top++] = i;
  }
  while (top > 0) {
    const job = records[pending[--top]!]!;
    let downstream = 0;
    for (const id of job.dependents) downstream = Math.max(downstream, jobs[id]!.pathPriority);
    job.pathPriority = job.priority + downstream;
    for (const id of job.dependsOn) {
      const index = jobs[id]!.index;
      if (--unranked[index]! === 0) pending[top++] = index;
    }
  }
}

/**
 * A job added to a running plan has no dependents yet: it ranks by its own priority, and raises
 * the jobs it needs (and theirs) where its rank is the new highest downstream. A raised job that
 * is queued enters the ready queue again at its new rank; the old entry is skipped when it comes
 * up, as every entry of a job that is no longer queued is.
 */
export function rankAddedJob(
  jobs: Record<string, RankedJob>,
  ready: ReadyQueue,
  added: RankedJob,
): void {
  added.pathPriority = added.priority;
  const raised: RankedJob[] = [added];
  for (let job = raised.pop(); job; job = raised.pop()) {
    const offered = Math.max(0, job.pathPriority);
    for (const id of job.dependsOn) {
      const dependency = jobs[id]!;
      const rank = dependency.priority + offered;
      if (rank <= dependency.pathPriority) continue;
      dependency.pathPriority = rank;
      if (dependency.status === 'queued') pushReady(ready, rank, dependency.index);
      raised.push(dependency);
    }
  }
}
