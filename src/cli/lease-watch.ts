import type { LeaseOwner, RedisStore } from '../persistence/redis-store.js';
import { LeaseLostError } from '../runtime/errors.js';

/** Watches the plan's lease for a coordinator that holds it; `stop` ends the watch. */
export interface LeaseWatch {
  /** Settles with a `LeaseLostError` naming the new owner once another coordinator holds it. */
  readonly lost: Promise<LeaseLostError>;
  stop(): void;
}

/**
 * Watches the lease of the plan `store` holds (`shown`: its Redis, for messages).
 *
 * A coordinator learns from its store that the lease is lost only when it next writes; a plan
 * whose jobs run quietly may write nothing for a long time, and its jobs would run beside the
 * new owner's. So the lease is read every third of `leaseMs`: once it names another owner than
 * the one it named first (this coordinator, which had just taken it), the plan is lost. A lease
 * that ran out with nobody taking it is not lost (the next write takes it back), nor is one that
 * cannot be read while Redis is away.
 */
export function watchLease(store: RedisStore, shown: string): LeaseWatch {
  let mine: LeaseOwner | null = null;
  let timer: NodeJS.Timeout | undefined;
  let report!: (error: LeaseLostError) => void;
  const lost = new Promise<LeaseLostError>((resolve) => {
    report = resolve;
  });
  const look = async () => {
    const owner = await store.owner().catch(() => null);
    if (!owner) return;
    mine ??= owner;
    if (owner.ownerId === mine.ownerId) return;
    clearInterval(timer);
    report(
      new LeaseLostError(
        store.path,
        { pid: owner.pid, host: owner.host, startedAt: owner.since, ownerId: owner.ownerId },
        `Plan "${store.planId}" in Redis at ${shown} is no longer this coordinator's: its lease ran out (the process was paused or cut off for more than ${store.leaseMs} ms) and process ${owner.pid} on host ${owner.host} took it over (fencing token ${owner.fence}, owner since ${owner.since}); this process writes nothing more to it`,
      ),
    );
  };
  look();
  timer = setInterval(look, Math.max(1, Math.floor(store.leaseMs / 3)));
  return {
    lost,
    stop: () => clearInterval(timer),
  };
}
