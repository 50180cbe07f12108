import { dirname, resolve } from 'node:path';
import { FileStore } from '../persistence/file-store.js';
import type { PlanSpec } from '../plan/types.js';
import { createOrchestrator, type Orchestrator } from '../runtime/orchestrator.js';
import { resumeOrchestrator } from '../runtime/resume.js';
import { openControl } from './control.js';
import { rehearsal } from './dry-run.js';
import { freezer } from './freeze.js';
import { startLauncher } from './job-launcher.js';
import { folderLogs, readAttemptLog } from './job-logs.js';
import { prepareOutputFolder } from './job-outputs.js';
import { DEFAULT_SIZE } from './live-view.js';
import { EXIT, exitCodeOfSignal, out, planOrExit, stopCause } from './output.js';
import { loadPlanFile, parsePlanText } from './plan-file.js';
import { type Selection, selectJobs } from './plan-subset.js';
import { exitNow } from './process-exit.js';
import {
  jsonlReporter,
  plainReporter,
  prettyReporter,
  type Reporter,
  type ReporterKind,
} from './reporters.js';
import { killAllNow, terminateAll } from './shell-job.js';
import { claimNewStateFolder, readStateFolder, refuseLiveOwner } from './state-folder.js';
import { onStopSignal } from './stop-signals.js';
import { strandedMessage } from './stranded.js';
import { askAtCheckpoints, attachedToTerminal } from './terminal-decisions.js';

/** `run` and `resume`: a plan runs until it ends, with its state folder and control channel. */

export function reporterOf(kind: ReporterKind): Reporter {
  if (kind === 'jsonl') return jsonlReporter(out);
  if (kind === 'pretty') {
    return prettyReporter(out, Date.now, {
      size: () => ({
        rows: process.stdout.rows || DEFAULT_SIZE.rows,
        columns: process.stdout.columns || DEFAULT_SIZE.columns,
      }),
    });
  }
  return plainReporter(out, Date.now);
}

/**
 * Runs a plan until it ends, and answers with the exit code. Only a completed plan exits 0.
 *
 * A pause that nothing in this run can act on (no state folder, no inspector) ends the run:
 * the message names the checkpoint and what to do, and the exit code is 4 (stranded).
 *
 * The first SIGINT, SIGTERM or SIGHUP stops dispatching (with a state folder the store stops
 * accepting commits, so nothing new starts and `resume` goes on from what was recorded; without
 * one the plan is canceled), stops every running job's process group (SIGTERM, then SIGKILL
 * after the grace period) and exits 128 + the signal's number. A second signal kills every group
 * at once and exits. However the run ends, no process of a job outlives it.
 */
export async function drive(
  orchestrator: Orchestrator,
  reporter: Reporter,
  durable: DurableRun | null,
  flags: InspectFlags = {},
): Promise<number> {
  const atTerminal = attachedToTerminal();
  const steerable = durable !== null || flags.inspect !== undefined || atTerminal;
  // Once the outcome is decided, what happens to the jobs being stopped is not news any more.
  let reporting = true;
  // While a question at the terminal waits for its answer, the view waits behind it.
  let held: Array<() => void> | null = null;
  const report = (show: () => void) => {
    if (!reporting) return;
    if (held) held.push(show);
    else show();
  };
  // Every change of the view comes with a record, so records tell the reporter it changed; the
  // view itself (a walk over every job) is built only when the reporter draws it.
  const currentView = () => orchestrator.getView();
  report(() => reporter.view?.(currentView));
  orchestrator.events$.subscribe((record) =>
    report(() => {
      reporter.record(record);
      reporter.view?.(currentView);
    }),
  );
  const questions = atTerminal
    ? askAtCheckpoints(orchestrator, (hold) => {
        const waiting = held;
        if (hold) reporter.giveWay?.();
        held = hold ? (held ?? []) : null;
        if (!hold) for (const show of waiting ?? []) show();
      })
    : null;
  let decided = false;
  let outcome!: (code: Promise<number>) => void;
  const ended = new Promise<number>((resolve) => {
    outcome = (code) => resolve(code);
  });
  /** The first outcome wins; the jobs still running are stopped before the command exits. */
  const decide = (code: () => Promise<number>) => {
    if (decided) return;
    decided = true;
    questions?.close();
    outcome(code().finally(() => terminateAll()));
  };

  const removeSignalHandlers = onStopSignal((signal, again) => {
    const exitCode = exitCodeOfSignal(signal);
    if (again || decided) {
      // Already stopping (after a first signal, or because the plan ended): do not wait any more.
      process.stderr.write(
        `${signal}${again ? ' again' : ''}: killing every running job at once\n`,
      );
      killAllNow().finally(() => exitNow(exitCode));
      return;
    }
    process.stderr.write(`interrupted: stopping the running jobs (${stopCause(signal)})\n`);
    decide(async () => {
      if (durable) {
        reporting = false;
        await durable.freeze();
        await terminateAll();
        process.stderr.write(`stopped by ${signal}: ${durable.howToGoOn}\n`);
      } else {
        orchestrator.cancel(`stopped by ${signal}`);
        await terminateAll();
        reporting = false;
        process.stderr.write(`stopped by ${signal}: the plan was canceled\n`);
      }
      return exitCode;
    });
  });

  orchestrator
    .whenSettled()
    .then((view) =>
      decide(async () => {
        reporter.end(view);
        reporting = false;
        return view.status === 'completed' ? EXIT.completed : EXIT.failed;
      }),
    )
    .catch((error: unknown) => decide(() => Promise.reject(error)));
  if (!steerable) {
    // Records go out during the plan's step: its state is read once the step is over.
    orchestrator.events$.subscribe((record) => {
      if (record.type !== 'plan-paused') return;
      queueMicrotask(() => {
        const view = orchestrator.getView();
        if (view.status !== 'paused') return;
        decide(async () => {
          reporter.end(view);
          reporting = false;
          process.stderr.write(`${strandedMessage(view.planId, view.checkpoint)}\n`);
          return EXIT.stranded;
        });
      });
    });
  }

  orchestrator.start();
  try {
    return await ended;
  } finally {
    removeSignalHandlers();
  }
}

/** A run whose plan is kept in a store: what a stop signal does with it. */
export interface DurableRun {
  /** Writes what was recorded so far, then accepts nothing more. */
  freeze(): Promise<void>;
  /** Where what was recorded is kept, and the command that goes on from there. */
  readonly howToGoOn: string;
}

function folderRun(store: FileStore): DurableRun {
  return {
    freeze: freezer(store),
    howToGoOn: `what was recorded is in ${store.dir}; plan-orchestrator resume ${store.dir} goes on from there`,
  };
}

/** `--inspect[=port]`, `--inspect-host`, `--inspect-allow-remote`. */
export interface InspectFlags {
  inspect?: number | true;
  inspectHost?: string;
  inspectAllowRemote?: boolean;
}

export async function run(
  file: string,
  options: InspectFlags &
    Selection & {
      maxParallel?: number;
      mode?: PlanSpec['mode'];
      stateDir?: string;
      reporter: ReporterKind;
      allowOutsideCwd?: boolean;
      logMaxBytes?: number;
      dryRun?: boolean;
    },
) {
  const loaded = await loadPlanFile(file, {
    allowOutsideCwd: options.allowOutsideCwd === true,
    ...(options.stateDir ? { logs: folderLogs(options.stateDir, options.logMaxBytes) } : {}),
    // A rehearsal reads no secret: their names are shown, their form checked.
    ...(options.dryRun ? { environment: null } : {}),
  });
  planOrExit(loaded);
  const plan: PlanSpec = {
    ...selectJobs(loaded.plan, loaded.jobRuns, options),
    ...(options.maxParallel ? { maxParallel: options.maxParallel } : {}),
    ...(options.mode ? { mode: options.mode } : {}),
  };
  if (options.dryRun) {
    out(rehearsal(plan, loaded.jobRuns, dirname(resolve(file))));
    return EXIT.completed;
  }
  const steerable = options.stateDir || options.inspect || attachedToTerminal();
  if (plan.mode && plan.mode !== 'autopilot' && !steerable) {
    process.stderr.write(
      `mode ${plan.mode} waits for approvals: give --state-dir (for the approve command) or --inspect (for the page's buttons), or run it at a terminal\n`,
    );
    return EXIT.usage;
  }
  prepareOutputFolder();
  const store = options.stateDir ? new FileStore(options.stateDir) : null;
  if (store) await claimNewStateFolder(store, file, loaded.source, plan, options);
  // Ready before the plan starts, so that its start-up never delays the first jobs.
  const launcherReady = startLauncher();
  try {
    await launcherReady;
    const orchestrator = createOrchestrator(plan, store ? { store } : {});
    return await withControl(options.stateDir, orchestrator, () =>
      withInspector(
        options,
        orchestrator,
        () => drive(orchestrator, reporterOf(options.reporter), store && folderRun(store), options),
        options.stateDir,
      ),
    );
  } finally {
    await store?.relinquish();
  }
}

/** Serves the inspector page while the plan runs, when asked to; it stops when the plan ends. */
export async function withInspector(
  flags: InspectFlags,
  orchestrator: Orchestrator,
  body: () => Promise<number>,
  stateDir?: string,
) {
  if (flags.inspect === undefined) return body();
  // Loaded only here: a run without --inspect never loads the server, `ws` or the page.
  const { startInspector } = await import('../inspector/server.js');
  const inspector = await startInspector(orchestrator, {
    port: flags.inspect === true ? 0 : flags.inspect,
    ...(flags.inspectHost ? { host: flags.inspectHost } : {}),
    allowRemote: flags.inspectAllowRemote === true,
    ...(stateDir ? { logs: (jobId, attempt) => readAttemptLog(stateDir, jobId, attempt) } : {}),
  });
  process.stderr.write(`inspector: ${inspector.url}\n`);
  try {
    return await body();
  } finally {
    await inspector.close();
  }
}

/**
 * Opens the control channel in the state folder (if any) for as long as the plan runs; its
 * socket and token are removed when the run ends, however it ends.
 */
async function withControl(
  stateDir: string | undefined,
  orchestrator: Orchestrator,
  body: () => Promise<number>,
) {
  if (!stateDir) return body();
  const control = await openControl(stateDir, (command) => orchestrator.send(command));
  try {
    return await body();
  } finally {
    await control.close();
  }
}

export async function resume(stateDir: string, options: InspectFlags & { reporter: ReporterKind }) {
  prepareOutputFolder();
  const store = new FileStore(stateDir);
  await refuseLiveOwner(store);
  const { meta, source } = await readStateFolder(stateDir);
  const loaded = parsePlanText(source, meta.file, meta.planDir, {
    allowOutsideCwd: true,
    logs: folderLogs(stateDir, meta.logMaxBytes),
  });
  planOrExit(loaded);
  const plan: PlanSpec = {
    ...selectJobs(loaded.plan, loaded.jobRuns, meta),
    ...(meta.maxParallel ? { maxParallel: meta.maxParallel } : {}),
    ...(meta.mode ? { mode: meta.mode } : {}),
  };
  const launcherReady = startLauncher();
  const orchestrator = await resumeOrchestrator(plan, store);
  await launcherReady;
  try {
    return await withControl(stateDir, orchestrator, () =>
      withInspector(
        options,
        orchestrator,
        () => drive(orchestrator, reporterOf(options.reporter), folderRun(store), options),
        stateDir,
      ),
    );
  } finally {
    await store.relinquish();
  }
}
