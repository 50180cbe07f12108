/** The prefix of every key a `RedisStore` writes, unless given another. */
export const DEFAULT_KEY_PREFIX = 'plan-orchestrator';

/**
 * Where a plan lives in Redis. Every key of one plan carries the plan id as a hash tag
 * (`{planId}`), so a Redis Cluster keeps them in one slot and a script may touch them together.
 */
export interface PlanKeys {
  /** LIST: the journal, one JSON value per element, the header first (index 0 holds seq 0). */
  journal: string;
  /** STRING: the latest snapshot, as JSON. */
  snapshot: string;
  /** STRING with an expiry: the coordinator that owns the plan (`ownerId`, fencing token, …). */
  lease: string;
  /** STRING (INCR): the fencing token; each new owner takes the next number. */
  fence: string;
  /** HASH: what `plans` lists: status, owner, updatedAt, records. */
  summary: string;
  /** STRING: the plan file a command-line run was started with, and how (JSON). */
  source: string;
  /** Pub/sub channel of the live coordinator's control commands. */
  control: string;
}

/** The keys of one plan under `prefix`. */
export function planKeys(planId: string, prefix: string = DEFAULT_KEY_PREFIX): PlanKeys {
  const base = `${prefix}:{${planId}}`;
  return {
    journal: `${base}:journal`,
    snapshot: `${base}:snapshot`,
    lease: `${base}:lease`,
    fence: `${base}:fence`,
    summary: `${base}:summary`,
    source: `${base}:source`,
    control: `${base}:control`,
  };
}

/** SET: the ids of every plan kept under `prefix`. */
export function plansKey(prefix: string = DEFAULT_KEY_PREFIX): string {
  return `${prefix}:plans`;
}
