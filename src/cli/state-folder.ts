import { dirname, join, resolve } from 'node:path';
import { type FileStore, JOURNAL } from '../persistence/file-store.js';
import { liveOwnerOf, lockedBy } from '../persistence/folder-lock.js';
import { checkStateFile, readStateFile, writePrivateFile } from '../persistence/private-file.js';
import type { PlanSpec } from '../plan/types.js';
import { OrchestratorError, RestoreError, StateLockedError } from '../shared/errors.js';
import { MAX_LOG_MAX_BYTES, MIN_LOG_MAX_BYTES } from './job-logs.js';
import type { Selection } from './plan-subset.js';
import { UsageError } from './redis-options.js';

/**
 * The state folder of `run --state-dir`: the journal, the plan file and its options (for
 * `resume`), and the owner lock. A folder is claimed whole before anything is written into it.
 */

const PLAN_SOURCE = 'plan.source';
const PLAN_META = 'plan.meta.json';

/**
 * Takes a folder for a new plan before writing anything into it: a folder that another process
 * owns, or that holds a plan's journal already, is refused as it is (exit code 5). Then the plan
 * file and its options are stored beside the journal, for `resume`.
 */
export async function claimNewStateFolder(
  store: FileStore,
  file: string,
  source: string,
  plan: PlanSpec,
  options: Selection & { logMaxBytes?: number } = {},
): Promise<void> {
  try {
    await claim(store, file, source, plan, options);
  } catch (error) {
    throw unusableFolder(store.dir, error);
  }
}

/** Why a folder cannot be used, by the error code the file system gave. */
const WHY_UNUSABLE: ReadonlyMap<string, string> = new Map([
  ['ENOTDIR', 'a file is in its path where a folder belongs'],
  ['EACCES', 'this user may not create or write it'],
  ['EPERM', 'this user may not create or write it'],
  ['EROFS', 'it is on a read-only file system'],
  ['ENOSPC', 'the disk is full'],
]);

/** A file-system error while taking the folder, said as a problem of `--state-dir`. */
function unusableFolder(stateDir: string, error: unknown): unknown {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (error instanceof OrchestratorError || typeof code !== 'string') return error;
  const why = WHY_UNUSABLE.get(code) ?? String(message);
  return new UsageError(
    `--state-dir ${stateDir} cannot be used: ${why} (${code}); give a folder this user can create and write, absent or empty`,
  );
}

async function claim(
  store: FileStore,
  file: string,
  source: string,
  plan: PlanSpec,
  options: Selection & { logMaxBytes?: number },
): Promise<void> {
  const stateDir = store.dir;
  const refuseIfHoldsPlan = async () => {
    if ((await checkStateFile(join(stateDir, JOURNAL))) === 'absent') return;
    const owner = await liveOwnerOf(stateDir).catch(() => null);
    const inUse = owner
      ? ` and is in use by process ${owner.pid} on ${owner.host} (since ${owner.startedAt})`
      : '';
    throw new StateLockedError(
      stateDir,
      owner,
      `State folder ${stateDir} already holds a plan's journal${inUse}; ` +
        `go on with it with \`plan-orchestrator resume ${stateDir}\`, or give another folder`,
      'STATE_HAS_JOURNAL',
    );
  };
  await refuseIfHoldsPlan();
  await store.acquire();
  try {
    await refuseIfHoldsPlan(); // a plan may have started there while the lock was taken
    const meta = {
      file: resolve(file),
      planDir: dirname(resolve(file)),
      maxParallel: plan.maxParallel,
      mode: plan.mode,
      ...(options.logMaxBytes === undefined ? {} : { logMaxBytes: options.logMaxBytes }),
      // The jobs run picked, so that resume goes on with the same ones.
      ...(options.only?.length ? { only: options.only } : {}),
      ...(options.from !== undefined ? { from: options.from } : {}),
    };
    await writePrivateFile(join(stateDir, PLAN_SOURCE), source);
    await writePrivateFile(join(stateDir, PLAN_META), JSON.stringify(meta));
  } catch (error) {
    await store.relinquish();
    throw error;
  }
}

/** A folder another live process owns is refused before anything in it is read. */
export async function refuseLiveOwner(store: FileStore): Promise<void> {
  const owner = await liveOwnerOf(store.dir).catch(() => null);
  if (owner) throw lockedBy(store.dir, store.lockPath, owner);
}

/** The plan file's place and the options it was run with, as `resume` needs them. */
export interface PlanMeta {
  file: string;
  planDir: string;
  maxParallel?: number;
  mode?: PlanSpec['mode'];
  /** `run --log-max-bytes`: kept so that `resume` caps the logs alike. */
  logMaxBytes?: number;
  /** `run --only`: the jobs picked. */
  only?: string[];
  /** `run --from`: the job the run started from. */
  from?: string;
}

/** The plan file and options `run --state-dir` stored; anything else is a `RestoreError`. */
export async function readStateFolder(
  stateDir: string,
): Promise<{ meta: PlanMeta; source: string }> {
  const metaPath = join(stateDir, PLAN_META);
  let metaText: string;
  let source: string;
  try {
    metaText = await readStateFile(metaPath);
    source = await readStateFile(join(stateDir, PLAN_SOURCE));
  } catch (error) {
    throw new RestoreError(
      stateDir,
      null,
      `not a state folder of plan-orchestrator run (no ${PLAN_META} or ${PLAN_SOURCE}): ${(error as Error).message}`,
    );
  }
  let meta: unknown;
  try {
    meta = JSON.parse(metaText);
  } catch {
    throw new RestoreError(metaPath, null, 'it is not valid JSON');
  }
  const problem = metaProblem(meta);
  if (problem) throw new RestoreError(metaPath, null, problem);
  return { meta: meta as PlanMeta, source };
}

/** What is wrong with stored plan options, or null when they are usable. */
export function metaProblem(meta: unknown): string | null {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    return `it holds ${JSON.stringify(meta)}, not the plan's options (an object)`;
  }
  const { file, planDir, maxParallel, mode, logMaxBytes, only, from } = meta as Record<
    string,
    unknown
  >;
  if (typeof file !== 'string') return 'it has no "file" (the path of the plan file)';
  if (typeof planDir !== 'string') return 'it has no "planDir" (the plan file\'s folder)';
  if (
    maxParallel !== undefined &&
    (!Number.isInteger(maxParallel) || (maxParallel as number) < 1)
  ) {
    return `its "maxParallel" is ${JSON.stringify(maxParallel)}, not an integer of 1 or more`;
  }
  if (mode !== undefined && !['autopilot', 'copilot', 'supervisor'].includes(mode as string)) {
    return `its "mode" is ${JSON.stringify(mode)}, not autopilot, copilot or supervisor`;
  }
  if (
    logMaxBytes !== undefined &&
    (!Number.isInteger(logMaxBytes) ||
      (logMaxBytes as number) < MIN_LOG_MAX_BYTES ||
      (logMaxBytes as number) > MAX_LOG_MAX_BYTES)
  ) {
    return `its "logMaxBytes" is ${JSON.stringify(logMaxBytes)}, not an integer from ${MIN_LOG_MAX_BYTES} to ${MAX_LOG_MAX_BYTES}`;
  }
  if (only !== undefined && !(Array.isArray(only) && only.every((id) => typeof id === 'string'))) {
    return `its "only" is ${JSON.stringify(only)}, not a list of job ids`;
  }
  if (from !== undefined && typeof from !== 'string') {
    return `its "from" is ${JSON.stringify(from)}, not a job id`;
  }
  return null;
}
