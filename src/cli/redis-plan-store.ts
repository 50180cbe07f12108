import type { PlanKeys } from '../persistence/redis-keys.js';
import type { Store } from '../persistence/store.js';
import { OrchestratorError } from '../runtime/errors.js';

/** The coordinator that holds a plan kept in Redis, as its lease names it. */
export interface LeaseHolder {
  ownerId: string;
  pid: number;
  host: string;
  since: string | number;
  expiresAt: string | number;
  fence: number;
}

/** What the command line uses of a `RedisStore`. */
export interface RedisPlanStore extends Store {
  readonly keys: PlanKeys;
  owner(): Promise<LeaseHolder | null>;
  close(): Promise<void>;
}

export interface RedisPlanStoreOptions {
  connection: string;
  planId: string;
  leaseMs?: number;
}

/** The `RedisStore` of one plan. */
export async function openRedisPlanStore(options: RedisPlanStoreOptions): Promise<RedisPlanStore> {
  // Loaded when first needed, so that commands without --redis never load the Redis store.
  const specifier = '../persistence/redis-store.js';
  let module: { RedisStore: new (options: RedisPlanStoreOptions) => RedisPlanStore };
  try {
    module = await import(specifier);
  } catch (error) {
    throw new OrchestratorError(
      'REDIS_STORE_MISSING',
      `This build has no RedisStore (${(error as Error).message})`,
    );
  }
  return new module.RedisStore(options);
}

/** A time a lease names, as ISO text. */
export function isoTime(value: string | number): string {
  return typeof value === 'number' ? new Date(value).toISOString() : value;
}

/** "pid 123 on host-a (since …), lease until …": a lease holder in a message. */
export function describeHolder(holder: LeaseHolder): string {
  return `process ${holder.pid} on ${holder.host} (since ${isoTime(holder.since)}, lease until ${isoTime(holder.expiresAt)})`;
}
