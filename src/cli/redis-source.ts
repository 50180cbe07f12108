import type { Redis } from 'ioredis';
import type { PlanKeys } from '../persistence/redis-keys.js';
import { OrchestratorError, RedisStoreError, RestoreError } from '../shared/errors.js';
import { metaProblem, type PlanMeta } from './state-folder.js';

/**
 * The plan file of a plan kept in Redis, and how it was run: what `plan.source` and
 * `plan.meta.json` hold in a state folder, as one JSON value in the plan's `source` key, so that
 * `resume --redis` works from any machine.
 */
export interface StoredPlanSource extends PlanMeta {
  source: string;
  /** The BullMQ queue the plan's attempts go to (`run --queue`); none: they run in the coordinator. */
  queue?: string;
}

/** A plan id that no plan kept in this Redis has. */
export class PlanNotFoundError extends OrchestratorError {
  constructor(planId: string, shown: string) {
    super(
      'PLAN_NOT_FOUND',
      `No plan "${planId}" is kept in Redis at ${shown}; plan-orchestrator plans --redis ${shown} lists the plans kept there`,
    );
  }
}

/** A plan's journal key that holds another kind of value (code `REDIS_WRONG_TYPE`). */
export function notAJournal(key: string, type: string, shown: string): RedisStoreError {
  return new RedisStoreError(
    'REDIS_WRONG_TYPE',
    `Redis key ${key} at ${shown} holds a ${type}, not a plan's journal (a list); it belongs to something else: delete the key if it is stale, or give the plan another id`,
  );
}

export async function writePlanSource(
  client: Redis,
  keys: PlanKeys,
  stored: StoredPlanSource,
): Promise<void> {
  await client.set(keys.source, JSON.stringify(stored));
}

/**
 * The stored plan file and options; a `PlanNotFoundError` when the plan has no journal there, a
 * `RestoreError` naming the key when what it holds is not what `run --redis` wrote.
 */
export async function readPlanSource(
  client: Redis,
  keys: PlanKeys,
  planId: string,
  shown: string,
): Promise<StoredPlanSource> {
  const [journalType, text] = await Promise.all([
    client.type(keys.journal),
    client.get(keys.source).catch((error: Error) => {
      throw new RestoreError(`${shown} key ${keys.source}`, null, error.message);
    }),
  ]);
  if (journalType === 'none') throw new PlanNotFoundError(planId, shown);
  if (journalType !== 'list') {
    throw notAJournal(keys.journal, journalType, shown);
  }
  const where = `${shown} key ${keys.source}`;
  if (text === null) {
    throw new RestoreError(
      where,
      null,
      `plan "${planId}" was not started by plan-orchestrator run --redis (no plan file kept there); resume it from the program that started it, with resumeOrchestrator(plan, new RedisStore(…))`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RestoreError(where, null, 'it is not valid JSON');
  }
  const problem =
    metaProblem(value) ??
    (typeof (value as { source?: unknown }).source === 'string'
      ? null
      : 'it has no "source" (the text of the plan file)');
  if (problem) throw new RestoreError(where, null, problem);
  return value as StoredPlanSource;
}
