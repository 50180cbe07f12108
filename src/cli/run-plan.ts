import { startInspector } from '../inspector/server.js';
import { FileStore } from '../persistence/file-store.js';
import { resumeOrchestrator } from '../persistence/resume.js';
import type { PlanSpec } from '../plan/types.js';
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
import { claimNewStateFolder, readStateFolder, refuseLiveOwner } from './state-folder.js';

/** `run` and `resume`: a plan runs until it ends, with its state folder and control channel. */

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
  const store = options.stateDir ? new FrozenableStore(options.stateDir) : null;
  if (store) await claimNewStateFolder(store, file, loaded.source, plan);
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
  await refuseLiveOwner(store);
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
