/**
 * The plan the store, restore, cancel and heap cells share: N independent jobs, maxParallel 8.
 * A wide plan keeps scheduling trivial, so what those cells measure is the store, the fold and
 * the cancel path rather than dependency bookkeeping (the executor cells cover that).
 */
import type { JobRun, PlanSpec } from '../src/index.js';

export const MAX_PARALLEL = 8;

/** Job ids are `j0`…`j<n-1>`, as in workloads.ts, so a stored plan can be resumed by index. */
export function widePlan(id: string, n: number, run: (index: number) => JobRun): PlanSpec {
  return {
    id,
    maxParallel: MAX_PARALLEL,
    jobs: Array.from({ length: n }, (_, i) => ({ id: `j${i}`, run: run(i) })),
  };
}

/** An async no-op: the job's own cost is nil, so the time is the orchestrator's (and store's). */
export const noop = (): JobRun => async () => undefined;
