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
  if (
    typeof every === 'number' &&
    Number.isInteger(every) &&
    every >= MIN_SNAPSHOT_EVERY &&
    every <= MAX_SNAPSHOT_EVERY
  ) {
    return;
  }
  throw new OrchestratorOptionError(
    'snapshotEvery',
    `Orchestrator option snapshotEvery (records between snapshots) must be an integer from 1 to 1,000,000,000, or left out for the default; got ${describeValue(every)}`,
  );
}
