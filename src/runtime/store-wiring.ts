import type { ErrorInfo } from '../../machines/errors.js';
import { Durability } from '../persistence/durability.js';
import type { JournalFold } from '../persistence/journal-fold.js';
import type { Store } from '../persistence/store.js';
import type { Command, CommandResult } from './command.js';
import { deliverToPlan, type PlanActor } from './plan-actor.js';

/**
 * The plan's writes to its store, with their outcomes sent back to the plan machine. Takes the
 * actor lazily: it is created after the durability it reports to.
 */
export function createDurability(
  store: Store,
  fold: JournalFold,
  snapshotEvery: number | undefined,
  actorOf: () => PlanActor,
): Durability {
  // A plan that ended has no one to tell: `whenSettled` writes again and rejects if that fails.
  const active = () => actorOf().getSnapshot().status === 'active';
  return new Durability(store, fold, snapshotEvery, {
    committed: (upTo: number) => {
      if (active()) deliverToPlan(actorOf(), { type: 'COMMIT_SUCCEEDED', upTo });
    },
    // The plan holds (checkpoint `persistence`) until RESUME tries the write again.
    failed: (error: ErrorInfo) => {
      if (!active()) return;
      // Another coordinator took the plan over (fencing): this one stops its attempts and writes
      // nothing more; `whenSettled` rejects with the store's LeaseLostError.
      if (error.code === 'LEASE_LOST') actorOf().stop();
      else deliverToPlan(actorOf(), { type: 'COMMIT_FAILED', error });
    },
  });
}

/**
 * When the store says its state changed (its server is reachable again, or it found the plan
 * taken over), a plan paused because of a failed write goes on by itself, the RESUME recorded
 * with its reason; any other running plan writes at once. Either write fails with `LEASE_LOST`
 * if the plan was taken over, which stops it (see `createDurability`), even when its jobs run
 * quietly and it had nothing to write. A plan the user paused stays paused (their RESUME writes
 * again). Checked on the next turn of the event loop: the failure of a write that was under way
 * when the store came back is reported first, so it cannot pause the plan again after the RESUME.
 */
export function resumeWhenWritable(
  store: Store,
  actor: PlanActor,
  durability: Durability,
  send: (command: Command) => CommandResult,
): void {
  const stopWatching = store.onWritable?.(() => {
    setImmediate(() => {
      if (actor.getSnapshot().status !== 'active') return;
      const context = actor.getSnapshot().context;
      if (!context.persistenceFailure) durability.probe();
      else if (!context.userPaused) send({ type: 'RESUME', reason: 'the store is writable again' });
    });
  });
  if (stopWatching) actor.subscribe({ complete: stopWatching, error: stopWatching });
}
