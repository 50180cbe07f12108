import { rangeProblem } from '../plan/range.js';
import { describeValue } from '../plan/validate.js';
import { OrchestratorOptionError } from '../shared/errors.js';

/** Bounds of `snapshotEvery`: records between two snapshots. */
export const MIN_SNAPSHOT_EVERY = 1;
export const MAX_SNAPSHOT_EVERY = 1_000_000_000;

/**
 * Checks the options an orchestrator is created with, before anything is written: 0 would
 * snapshot on every batch and NaN never, so both are refused like any other bad option.
 */
export function checkOrchestratorOptions(options: { snapshotEvery?: unknown }): void {
  const every = options.snapshotEvery;
  if (every === undefined) return;
  const problem = rangeProblem(
    'Orchestrator option snapshotEvery (records between snapshots)',
    every,
    { integer: true, min: MIN_SNAPSHOT_EVERY, max: MAX_SNAPSHOT_EVERY },
    { show: describeValue, grouped: true, optional: true },
  );
  if (problem) throw new OrchestratorOptionError('snapshotEvery', problem);
}
