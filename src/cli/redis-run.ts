import { dirname, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { type PlanKeys, planKeys } from '../persistence/redis-keys.js';
import { RedisStore } from '../persistence/redis-store.js';
import type { PlanSpec } from '../plan/types.js';
import { type AttemptQueue, createAttemptQueue } from '../remote/attempt-queue.js';
import { queuedPlan } from '../remote/queued-plan.js';
import { createOrchestrator, type Orchestrator } from '../runtime/orchestrator.js';
import { resumeOrchestrator } from '../runtime/resume.js';
import { RestoreError, StateLockedError } from '../shared/errors.js';
import { freezer } from './freeze.js';
import { planOrExit } from './output.js';
import { loadPlanFile, parsePlanText } from './plan-file.js';
import { connectRedis } from './redis-connect.js';
import { openRedisControl } from './redis-control.js';
import {
  notAJournal,
  readPlanSource,
  type StoredPlanSource,
  writePlanSource,
} from './redis-source.js';
import type { RedisTarget } from './redis-url.js';
import type { ReporterKind } from './reporters.js';
import {
  type DurableRun,
  drive,
  type InspectFlags,
  reporterOf,
  withInspector,
} from './run-plan.js';
import { shellWork } from './shell-handler.js';
import { watchForWorkers } from './worker-watch.js';

/**
 * `run --redis` and `resume --redis`: a plan kept in Redis, run by one coordinator at a time (the
 * holder of its lease), resumable from any machine.
 */

interface RedisRunFlags extends InspectFlags {
  reporter: ReporterKind;
  leaseMs?: number;
}

/** The plan's attempts sent to `queue` while `body` runs it, or run here without one. */
async function withQueue<T>(
  target: RedisTarget,
  queue: string | undefined,
  plan: PlanSpec,
  body: (plan: PlanSpec, attempts: AttemptQueue | null) => Promise<T>,
): Promise<T> {
  if (queue === undefined) return body(plan, null);
  const attempts = await createAttemptQueue({ connection: target.url, queue });
  const stopWatching = watchForWorkers(attempts, (text) => process.stderr.write(text));
  try {
    return await body(queuedPlan(plan, attempts, { asWork: shellWork }), attempts);
  } finally {
    stopWatching();
    await attempts.close();
  }
}

export async function runRedis(
  file: string,
  target: RedisTarget,
  options: RedisRunFlags & {
    maxParallel?: number;
    mode?: PlanSpec['mode'];
    allowOutsideCwd?: boolean;
    queue?: string;
  },
): Promise<number> {
  const loaded = await loadPlanFile(file, { allowOutsideCwd: options.allowOutsideCwd === true });
  planOrExit(loaded);
  const plan = withOptions(loaded.plan, options);
  const store = await claimPlan(target, plan, options.leaseMs, {
    source: loaded.source,
    file: resolve(file),
    planDir: dirname(resolve(file)),
    ...(plan.maxParallel ? { maxParallel: plan.maxParallel } : {}),
    ...(plan.mode ? { mode: plan.mode } : {}),
    ...(options.queue ? { queue: options.queue } : {}),
  });
  try {
    return await withQueue(target, options.queue, plan, (queued) =>
      coordinate(createOrchestrator(queued, { store }), store, target, plan.id, options),
    );
  } finally {
    await store.close(); // gives the lease up if still held
  }
}

/**
 * Takes a new plan id in Redis before anything is written there: a plan id that already has a
 * journal is refused as it is (exit 5), and so is one another coordinator holds. Then the plan
 * file and its options are stored beside the journal, for `resume --redis`.
 */
async function claimPlan(
  target: RedisTarget,
  plan: PlanSpec,
  leaseMs: number | undefined,
  source: StoredPlanSource,
): Promise<RedisStore> {
  const client = await connectRedis(target);
  try {
    const keys = planKeys(plan.id);
    await refuseIfKept(client, keys, plan.id, target);
    const store = new RedisStore({
      connection: target.url,
      planId: plan.id,
      ...(leaseMs ? { leaseMs } : {}),
    });
    try {
      await store.acquire();
      await refuseIfKept(client, keys, plan.id, target); // another run may have begun meanwhile
      await writePlanSource(client, store.keys, source);
      return store;
    } catch (error) {
      await store.close();
      throw error;
    }
  } finally {
    client.disconnect();
  }
}

export async function resumeRedis(
  target: RedisTarget,
  planId: string,
  options: RedisRunFlags,
): Promise<number> {
  const client = await connectRedis(target);
  let stored: Awaited<ReturnType<typeof readPlanSource>>;
  try {
    stored = await readPlanSource(client, planKeys(planId), planId, target.shown);
  } finally {
    client.disconnect();
  }
  const loaded = parsePlanText(stored.source, stored.file, stored.planDir, {
    allowOutsideCwd: true,
  });
  planOrExit(loaded);
  const plan = withOptions(loaded.plan, stored);
  if (plan.id !== planId) {
    throw new RestoreError(
      `${target.shown} plan "${planId}"`,
      null,
      `its plan file is of plan "${plan.id}"`,
    );
  }
  const store = new RedisStore({
    connection: target.url,
    planId,
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
  });
  try {
    return await withQueue(target, stored.queue, plan, async (queued, attempts) => {
      // Attempts the queue still has go on (or are read back) instead of running again.
      const adopt = attempts
        ? { adopt: (ids: readonly string[]) => attempts.adoptable(planId, ids) }
        : {};
      const orchestrator = await resumeOrchestrator(queued, store, adopt);
      return coordinate(orchestrator, store, target, planId, options);
    });
  } finally {
    await store.close(); // gives the lease up if still held
  }
}

/**
 * Runs the plan with its control channel in Redis, until it ends. A coordinator whose lease
 * another took (it was paused or cut off past the lease) rejects with a `LeaseLostError` once
 * its jobs are stopped: the new owner runs the plan.
 */
async function coordinate(
  orchestrator: Orchestrator,
  store: RedisStore,
  target: RedisTarget,
  planId: string,
  flags: RedisRunFlags,
): Promise<number> {
  const control = await openRedisControl(target, store.keys, (command) =>
    orchestrator.send(command),
  );
  const durable: DurableRun = {
    freeze: freezer(store),
    howToGoOn: `what was recorded is kept in Redis at ${target.shown}; plan-orchestrator resume --redis ${target.shown} --plan ${planId} goes on from there`,
  };
  try {
    return await withInspector(flags, orchestrator, () =>
      drive(orchestrator, reporterOf(flags.reporter), durable, flags),
    );
  } finally {
    await control.close();
  }
}

/** The plan with the options given on the command line (or stored with it) applied. */
function withOptions(
  plan: PlanSpec,
  options: { maxParallel?: number; mode?: PlanSpec['mode'] },
): PlanSpec {
  return {
    ...plan,
    ...(options.maxParallel ? { maxParallel: options.maxParallel } : {}),
    ...(options.mode ? { mode: options.mode } : {}),
  };
}

/** A plan id that already has a journal is refused by `run`, before anything is written. */
async function refuseIfKept(
  client: Redis,
  keys: PlanKeys,
  planId: string,
  target: RedisTarget,
): Promise<void> {
  const type = await client.type(keys.journal);
  if (type === 'none') return;
  if (type !== 'list') throw notAJournal(keys.journal, type, target.shown);
  throw new StateLockedError(
    `${target.shown} key ${keys.journal}`,
    null,
    `Plan "${planId}" is already kept in Redis at ${target.shown} (${keys.journal} holds a plan's journal); go on with it with \`plan-orchestrator resume --redis ${target.shown} --plan ${planId}\`, or give the plan another id`,
    'STATE_HAS_JOURNAL',
  );
}
