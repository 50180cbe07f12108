import { dirname, join, resolve } from 'node:path';
import { startInspector } from '../inspector/server.js';
import { FileStore, JOURNAL } from '../persistence/file-store.js';
import { liveOwnerOf, lockedBy } from '../persistence/folder-lock.js';
import { checkStateFile, readStateFile, writePrivateFile } from '../persistence/private-file.js';
import { resumeOrchestrator } from '../persistence/resume.js';
import type { PlanSpec } from '../plan/types.js';
import { RestoreError, StateLockedError } from '../runtime/errors.js';
import { createOrchestrator, type Orchestrator } from '../runtime/orchestrator.js';
import { openControl } from './control.js';
import { EXIT, out, planOrExit } from './output.js';
import { loadPlanFile, parsePlanText } from './plan-file.js';
import {
  jsonlReporter,
  plainReporter,
  prettyReporter,
  type Reporter,
  type ReporterKind,
} from './reporters.js';
import { terminateAll } from './shell-job.js';

/** `run` and `resume`: a plan runs until it ends, with its state folder and control channel. */

const PLAN_SOURCE = 'plan.source';
const PLAN_META = 'plan.meta.json';

function reporterOf(kind: ReporterKind): Reporter {
  if (kind === 'jsonl') return jsonlReporter(out);
  if (kind === 'pretty') return prettyReporter(out, Date.now);
  return plainReporter(out, Date.now);
}

/**
 * Runs a plan until it ends. The first SIGINT stops dispatching (the store stops accepting
 * commits, so nothing new starts), makes what was recorded durable, stops the running commands
 * (SIGTERM, then SIGKILL after a grace period) and exits 130; `resume` goes on from there. A second
 * SIGINT exits at once.
 */
async function drive(
  orchestrator: Orchestrator,
  reporter: Reporter,
  store: FrozenableStore | null,
): Promise<number> {
  orchestrator.events$.subscribe((record) => reporter.record(record));
  orchestrator.view$.subscribe((view) => reporter.view(view));
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    process.stderr.write(
      'interrupted: stopping the running jobs (press Ctrl-C again to exit at once)\n',
    );
    if (!store) orchestrator.cancel('interrupted');
    const persisted = store ? store.freeze() : Promise.resolve();
    persisted.then(() => terminateAll()).finally(() => process.exit(EXIT.interrupted));
  });
  orchestrator.start();
  const view = await orchestrator.whenSettled();
  reporter.end(view);
  return view.status === 'completed' ? EXIT.completed : EXIT.failed;
}

/** A file store that can stop taking commits: the plan then starts nothing new. */
class FrozenableStore extends FileStore {
  private frozen = false;

  override flush(): Promise<void> {
    return this.frozen ? new Promise(() => {}) : super.flush();
  }

  /** Writes what was recorded so far, then accepts nothing more. */
  async freeze(): Promise<void> {
    const last = super.flush();
    this.frozen = true;
    await last.catch(() => {});
  }
}

/** `--inspect[=port]`, `--inspect-host`, `--inspect-allow-remote`. */
interface InspectFlags {
  inspect?: number | true;
  inspectHost?: string;
  inspectAllowRemote?: boolean;
}

export async function run(
  file: string,
  options: InspectFlags & {
    maxParallel?: number;
    mode?: PlanSpec['mode'];
    stateDir?: string;
    reporter: ReporterKind;
    allowOutsideCwd?: boolean;
  },
) {
  const loaded = await loadPlanFile(file, { allowOutsideCwd: options.allowOutsideCwd === true });
  planOrExit(loaded);
  const plan: PlanSpec = {
    ...loaded.plan,
    ...(options.maxParallel ? { maxParallel: options.maxParallel } : {}),
    ...(options.mode ? { mode: options.mode } : {}),
  };
  if (plan.mode && plan.mode !== 'autopilot' && !options.stateDir && !options.inspect) {
    process.stderr.write(
      `mode ${plan.mode} waits for approvals: give --state-dir (for the approve command) or --inspect (for the page's buttons)\n`,
    );
    return EXIT.usage;
  }
  const store = options.stateDir
    ? await claimNewStateFolder(options.stateDir, file, loaded.source, plan)
    : null;
  try {
    const orchestrator = createOrchestrator(plan, store ? { store } : {});
    return await withControl(options.stateDir, orchestrator, () =>
      withInspector(options, orchestrator, () =>
        drive(orchestrator, reporterOf(options.reporter), store),
      ),
    );
  } finally {
    await store?.relinquish();
  }
}

/**
 * Takes a folder for a new plan before writing anything into it: a folder that another process
 * owns, or that holds a plan's journal already, is refused as it is (exit code 5). Then the plan
 * file and its options are stored beside the journal, for `resume`.
 */
async function claimNewStateFolder(
  stateDir: string,
  file: string,
  source: string,
  plan: PlanSpec,
): Promise<FrozenableStore> {
  const store = new FrozenableStore(stateDir);
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
    };
    await writePrivateFile(join(stateDir, PLAN_SOURCE), source);
    await writePrivateFile(join(stateDir, PLAN_META), JSON.stringify(meta));
  } catch (error) {
    await store.relinquish();
    throw error;
  }
  return store;
}

/** Serves the inspector page while the plan runs, when asked to; it stops when the plan ends. */
async function withInspector(
  flags: InspectFlags,
  orchestrator: Orchestrator,
  body: () => Promise<number>,
) {
  if (flags.inspect === undefined) return body();
  const inspector = await startInspector(orchestrator, {
    port: flags.inspect === true ? 0 : flags.inspect,
    ...(flags.inspectHost ? { host: flags.inspectHost } : {}),
    allowRemote: flags.inspectAllowRemote === true,
  });
  process.stderr.write(`inspector: ${inspector.url}\n`);
  try {
    return await body();
  } finally {
    await inspector.close();
  }
}

/** Opens the control channel in the state folder (if any) for as long as the plan runs. */
async function withControl(
  stateDir: string | undefined,
  orchestrator: Orchestrator,
  body: () => Promise<number>,
) {
  if (!stateDir) return body();
  const server = await openControl(stateDir, (command) => orchestrator.send(command));
  try {
    return await body();
  } finally {
    server.close();
  }
}

export async function resume(stateDir: string, options: InspectFlags & { reporter: ReporterKind }) {
  const store = new FrozenableStore(stateDir);
  // The owner check comes first: a live plan's folder is refused before anything is read.
  const owner = await liveOwnerOf(stateDir).catch(() => null);
  if (owner) throw lockedBy(stateDir, store.lockPath, owner);
  const { meta, source } = await readStateFolder(stateDir);
  const loaded = parsePlanText(source, meta.file, meta.planDir, { allowOutsideCwd: true });
  planOrExit(loaded);
  const plan: PlanSpec = {
    ...loaded.plan,
    ...(meta.maxParallel ? { maxParallel: meta.maxParallel } : {}),
    ...(meta.mode ? { mode: meta.mode } : {}),
  };
  const orchestrator = await resumeOrchestrator(plan, store);
  try {
    return await withControl(stateDir, orchestrator, () =>
      withInspector(options, orchestrator, () =>
        drive(orchestrator, reporterOf(options.reporter), store),
      ),
    );
  } finally {
    await store.relinquish();
  }
}

interface PlanMeta {
  file: string;
  planDir: string;
  maxParallel?: number;
  mode?: PlanSpec['mode'];
}

/** The plan file and options `run --state-dir` stored; anything else is a `RestoreError`. */
async function readStateFolder(stateDir: string): Promise<{ meta: PlanMeta; source: string }> {
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

function metaProblem(meta: unknown): string | null {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    return `it holds ${JSON.stringify(meta)}, not the plan's options (an object)`;
  }
  const { file, planDir, maxParallel, mode } = meta as Record<string, unknown>;
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
  return null;
}
