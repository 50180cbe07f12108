#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { integrationMachine } from '../../machines/integration.machine.js';
import { jobMachine } from '../../machines/job.machine.js';
import { planMachine } from '../../machines/plan.machine.js';
import { toDot, toMermaid } from '../observe/diagram.js';
import { machineToMermaid } from '../observe/machine-diagram.js';
import { FileStore } from '../persistence/file-store.js';
import { JournalFold } from '../persistence/journal-fold.js';
import { resumeOrchestrator } from '../persistence/resume.js';
import type { PlanSpec } from '../plan/types.js';
import { OrchestratorError, RestoreError } from '../runtime/errors.js';
import {
  createOrchestrator,
  type Orchestrator,
  type Command as PlanCommand,
} from '../runtime/orchestrator.js';
import { openControl, sendControl } from './control.js';
import { formatDiagnostic, type LoadedPlan, loadPlanFile, parsePlanText } from './plan-file.js';
import {
  jsonlReporter,
  plainReporter,
  prettyReporter,
  type Reporter,
  type ReporterKind,
} from './reporters.js';
import { terminateAll } from './shell-job.js';

/** Exit codes, as documented in the README. */
export const EXIT = {
  completed: 0,
  failed: 1,
  usage: 2,
  unreadableState: 3,
  interrupted: 130,
} as const;

const PLAN_SOURCE = 'plan.source';
const PLAN_META = 'plan.meta.json';

function out(text: string) {
  process.stdout.write(text);
}

function reporterOf(kind: ReporterKind): Reporter {
  if (kind === 'jsonl') return jsonlReporter(out);
  if (kind === 'pretty') return prettyReporter(out, Date.now);
  return plainReporter(out, Date.now);
}

/** Reports problems of a plan file and stops with exit code 2. */
function planOrExit(loaded: LoadedPlan): asserts loaded is Extract<LoadedPlan, { ok: true }> {
  if (loaded.ok) return;
  for (const diagnostic of loaded.diagnostics)
    process.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
  process.exit(EXIT.usage);
}

const integer = (name: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(
      `${name} must be an integer from ${min} to ${max}; got "${value}"`,
    );
  }
  return n;
};

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

async function run(
  file: string,
  options: {
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
  if (plan.mode && plan.mode !== 'autopilot' && !options.stateDir) {
    process.stderr.write(
      `mode ${plan.mode} waits for approvals: give --state-dir, so that approve can reach the plan\n`,
    );
    return EXIT.usage;
  }
  let store: FrozenableStore | null = null;
  if (options.stateDir) {
    await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
    const meta = {
      file: resolve(file),
      planDir: dirname(resolve(file)),
      maxParallel: plan.maxParallel,
      mode: plan.mode,
    };
    await writeFile(join(options.stateDir, PLAN_SOURCE), loaded.source, { mode: 0o600 });
    await writeFile(join(options.stateDir, PLAN_META), JSON.stringify(meta), { mode: 0o600 });
    store = new FrozenableStore(options.stateDir);
  }
  const orchestrator = createOrchestrator(plan, store ? { store } : {});
  return withControl(options.stateDir, orchestrator, () =>
    drive(orchestrator, reporterOf(options.reporter), store),
  );
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

async function control(command: PlanCommand, stateDir: string) {
  const result = await sendControl(stateDir, command);
  if (result.accepted) {
    out(`${command.type} accepted\n`);
    return EXIT.completed;
  }
  process.stderr.write(`${command.type} rejected: ${result.reason}\n`);
  return EXIT.failed;
}

async function resume(stateDir: string, options: { reporter: ReporterKind }) {
  let meta: { file: string; planDir: string; maxParallel?: number; mode?: PlanSpec['mode'] };
  let source: string;
  try {
    meta = JSON.parse(await readFile(join(stateDir, PLAN_META), 'utf8'));
    source = await readFile(join(stateDir, PLAN_SOURCE), 'utf8');
  } catch {
    throw new RestoreError(
      stateDir,
      null,
      `not a state folder of plan-orchestrator run (no ${PLAN_META} or ${PLAN_SOURCE})`,
    );
  }
  const loaded = parsePlanText(source, meta.file, meta.planDir, { allowOutsideCwd: true });
  planOrExit(loaded);
  const plan: PlanSpec = {
    ...loaded.plan,
    ...(meta.maxParallel ? { maxParallel: meta.maxParallel } : {}),
    ...(meta.mode ? { mode: meta.mode } : {}),
  };
  const store = new FrozenableStore(stateDir);
  const orchestrator = await resumeOrchestrator(plan, store);
  return withControl(stateDir, orchestrator, () =>
    drive(orchestrator, reporterOf(options.reporter), store),
  );
}

async function status(stateDir: string) {
  const stored = await new FileStore(stateDir).load();
  const fold = stored.snapshot
    ? JournalFold.fromSnapshot(stored.snapshot)
    : JournalFold.start(stored.header);
  for (const record of stored.records) fold.apply(record);
  const { context, finished, seq } = fold.state;
  out(`Plan "${context.planId}": ${finished ?? 'not finished'} (${seq} records)\n`);
  for (const id of context.order) {
    const job = context.jobs[id]!;
    out(
      `  ${id.padEnd(24)} ${job.status.padEnd(20)} ${job.attempt > 0 ? `attempt ${job.attempt}` : ''}\n`,
    );
  }
  for (const warning of stored.warnings) process.stderr.write(`warning: ${warning}\n`);
  return EXIT.completed;
}

async function validate(file: string, options: { allowOutsideCwd?: boolean }) {
  const loaded = await loadPlanFile(file, { allowOutsideCwd: options.allowOutsideCwd === true });
  planOrExit(loaded);
  out(`${file}: valid plan "${loaded.plan.id}" with ${loaded.plan.jobs.length} jobs\n`);
  return EXIT.completed;
}

async function graph(
  file: string | undefined,
  options: { format: 'mermaid' | 'dot'; machine?: string },
) {
  if (options.machine) {
    const machine = { plan: planMachine, job: jobMachine, integration: integrationMachine }[
      options.machine
    ]!;
    out(machineToMermaid(machine));
    return EXIT.completed;
  }
  if (!file) {
    process.stderr.write('graph needs a plan file, or --machine plan|job|integration\n');
    return EXIT.usage;
  }
  const loaded = await loadPlanFile(file, { allowOutsideCwd: true });
  planOrExit(loaded);
  out((options.format === 'dot' ? toDot : toMermaid)(loaded.plan));
  return EXIT.completed;
}

export function program(): Command {
  const cli = new Command('plan-orchestrator')
    .description('Run plans of dependent shell jobs from YAML or JSON files.')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  const reporter = new Option('--reporter <kind>', 'how progress is shown')
    .choices(['pretty', 'plain', 'jsonl'])
    .default(process.stdout.isTTY ? 'pretty' : 'plain');
  let result: Promise<number> = Promise.resolve(EXIT.completed);
  cli
    .command('run <file>')
    .description('run a plan file until it ends')
    .option(
      '--max-parallel <n>',
      'jobs running at once (overrides the file)',
      integer('--max-parallel', 1, 1_000_000),
    )
    .addOption(
      new Option('--mode <mode>', 'autopilot, copilot or supervisor').choices([
        'autopilot',
        'copilot',
        'supervisor',
      ]),
    )
    .option(
      '--state-dir <dir>',
      'keep the plan durable in this folder, to resume it after a crash or Ctrl-C',
    )
    .addOption(reporter)
    .option('--allow-outside-cwd', "let jobs run in folders outside the plan file's folder")
    .action((file, options) => {
      result = run(file, options);
    });
  cli
    .command('resume <state-dir>')
    .description('resume a plan run with --state-dir')
    .addOption(reporter)
    .action((stateDir, options) => {
      result = resume(stateDir, options);
    });
  cli
    .command('status <state-dir>')
    .description('show the state of a plan run with --state-dir')
    .action((stateDir) => {
      result = status(stateDir);
    });
  cli
    .command('validate <file>')
    .description('check a plan file and report every problem with its line and column')
    .option('--allow-outside-cwd', "let jobs run in folders outside the plan file's folder")
    .action((file, options) => {
      result = validate(file, options);
    });
  cli
    .command('graph [file]')
    .description('print a plan as a diagram, or one of the statecharts with --machine')
    .addOption(
      new Option('--format <format>', 'diagram format')
        .choices(['mermaid', 'dot'])
        .default('mermaid'),
    )
    .addOption(
      new Option('--machine <name>', 'print a statechart (Mermaid) instead').choices([
        'plan',
        'job',
        'integration',
      ]),
    )
    .action((file, options) => {
      result = graph(file, options);
    });
  const stateDirOption = () =>
    new Option('--state-dir <dir>', 'the state folder of the running plan').makeOptionMandatory();
  cli
    .command('approve')
    .description('approve the checkpoint a running plan waits at')
    .addOption(stateDirOption())
    .addOption(
      new Option('--checkpoint <name>', 'the checkpoint meant').choices([
        'start',
        'on_error',
        'pre_integrate',
        'pre_finalize',
        'pre_change',
      ]),
    )
    .option('--job <id>', 'the job meant')
    .action((options) => {
      result = control(
        {
          type: 'APPROVE',
          ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
          ...(options.job ? { jobId: options.job } : {}),
        },
        options.stateDir,
      );
    });
  cli
    .command('retry <job>')
    .description('run a failed job of a running plan again')
    .addOption(stateDirOption())
    .addOption(
      new Option('--from <step>', 'where to start again')
        .choices(['run', 'verify', 'integrate'])
        .default('run'),
    )
    .action((job, options) => {
      result = control({ type: 'RETRY_JOB', jobId: job, from: options.from }, options.stateDir);
    });
  cli
    .command('skip <job>')
    .description('skip a job of a running plan')
    .addOption(stateDirOption())
    .option('--reason <text>', 'recorded with the skip')
    .action((job, options) => {
      result = control(
        { type: 'SKIP_JOB', jobId: job, ...(options.reason ? { reason: options.reason } : {}) },
        options.stateDir,
      );
    });
  cli
    .command('cancel')
    .description('cancel a running plan')
    .addOption(stateDirOption())
    .option('--reason <text>', 'recorded with the cancel')
    .action((options) => {
      result = control(
        { type: 'CANCEL', ...(options.reason ? { reason: options.reason } : {}) },
        options.stateDir,
      );
    });
  Object.defineProperty(cli, 'result', { get: () => result });
  return cli;
}

export async function main(argv: readonly string[]): Promise<number> {
  const cli = program();
  try {
    await cli.parseAsync(argv, { from: 'user' });
    return await (cli as unknown as { result: Promise<number> }).result;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.completed : EXIT.usage;
    }
    if (error instanceof RestoreError) {
      process.stderr.write(`error ${error.code} ${error.message}\n`);
      return EXIT.unreadableState;
    }
    if (error instanceof OrchestratorError && error.code === 'PLAN_FINISHED') {
      process.stderr.write(`${error.message}\n`);
      return EXIT.completed;
    }
    if (error instanceof OrchestratorError && error.code === 'PLAN_NOT_RUNNING') {
      process.stderr.write(`${error.message}\n`);
      return EXIT.unreadableState;
    }
    throw error;
  }
}

// Run when this file is the program (also through the symlink npm puts in node_modules/.bin).
const invokedDirectly =
  process.argv[1] !== undefined &&
  realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
