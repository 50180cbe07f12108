import { ID_PATTERN, ID_RULE } from '../plan/validate.js';
import { OrchestratorError } from '../shared/errors.js';
import { parseRedisUrl, type RedisTarget } from './redis-url.js';

/** Options that cannot go together, or one missing its partner; exit code 2. */
export class UsageError extends OrchestratorError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** Where a command finds its plan: a state folder, or a plan kept in Redis. */
export type PlanPlace = { stateDir: string } | { target: RedisTarget; planId: string };

/**
 * The plan a command means, from `<state-dir>` (or `--state-dir`) or `--redis URL --plan ID`:
 * exactly one of the two.
 */
export function planPlaceOf(
  command: string,
  options: { stateDir?: string; redis?: string; plan?: string },
): PlanPlace {
  const { stateDir, redis, plan } = options;
  if (redis !== undefined && stateDir !== undefined) {
    throw new UsageError(
      `${command}: give a state folder or --redis, not both (a plan is kept in one place)`,
    );
  }
  if (redis !== undefined) {
    if (plan === undefined) {
      throw new UsageError(
        `${command} --redis needs --plan <planId> (plan-orchestrator plans --redis URL lists them)`,
      );
    }
    const target = parseRedisUrl(redis);
    return { target, planId: planIdOf(plan) };
  }
  if (plan !== undefined) {
    throw new UsageError(`${command}: --plan goes with --redis URL; a state folder holds one plan`);
  }
  if (stateDir === undefined) {
    throw new UsageError(`${command} needs a state folder or --redis URL --plan <planId>`);
  }
  if (stateDir === '') {
    throw new UsageError(
      `${command}: the state folder is empty: give a folder's path (is the variable it came from unset?)`,
    );
  }
  return { stateDir };
}

export function planIdOf(value: string): string {
  if (!ID_PATTERN.test(value)) {
    throw new UsageError(
      `--plan must be a plan id: ${ID_RULE}; got ${JSON.stringify(value.slice(0, 100))}`,
    );
  }
  return value;
}
