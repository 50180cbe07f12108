#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  InspectorError,
  OrchestratorError,
  PersistenceError,
  PlanFinishedError,
  RestoreError,
  StateLockedError,
  UnsafeStateFileError,
} from '../runtime/errors.js';
import { controlCommand } from './control.js';
import { EXIT } from './output.js';
import { graph, status, validate } from './read-commands.js';
import { resume, run } from './run-plan.js';

const integer = (name: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(
      `${name} must be an integer from ${min} to ${max}; got "${value}"`,
    );
  }
  return n;
};

/** What a person writes in `--reason`: recorded in the journal, so kept short. */
const MAX_REASON_CHARS = 4096;
const reasonText = (value: string) => {
  if (value.length > MAX_REASON_CHARS) {
    throw new InvalidArgumentError(
      `--reason must be at most ${MAX_REASON_CHARS} characters; got ${value.length}`,
    );
  }
  return value;
};

export function program(): Command {
  const cli = new Command('plan-orchestrator')
    .description('Run plans of dependent shell jobs from YAML or JSON files.')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  const reporter = new Option('--reporter <kind>', 'how progress is shown')
    .choices(['pretty', 'plain', 'jsonl'])
    .default(process.stdout.isTTY ? 'pretty' : 'plain');
  let result: Promise<number> = Promise.resolve(EXIT.completed);
  const inspectOptions = (command: Command) =>
    command
      .option(
        '--inspect [port]',
        'serve the live inspector page on 127.0.0.1 (port 0 or none: any free port) and print its address',
        integer('--inspect', 0, 65_535),
      )
      .option(
        '--inspect-host <host>',
        'listen there instead of 127.0.0.1 (needs --inspect-allow-remote)',
      )
      .option(
        '--inspect-allow-remote',
        'let the inspector listen on an address other hosts can reach (a warning is printed)',
      );
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
  inspectOptions(cli.commands.at(-1)!);
  cli
    .command('resume <state-dir>')
    .description('resume a plan run with --state-dir')
    .addOption(reporter)
    .action((stateDir, options) => {
      result = resume(stateDir, options);
    });
  inspectOptions(cli.commands.at(-1)!);
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
      result = controlCommand(
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
      result = controlCommand(
        { type: 'RETRY_JOB', jobId: job, from: options.from },
        options.stateDir,
      );
    });
  cli
    .command('skip <job>')
    .description('skip a job of a running plan')
    .addOption(stateDirOption())
    .option(
      '--reason <text>',
      `recorded with the skip (at most ${MAX_REASON_CHARS} characters)`,
      reasonText,
    )
    .action((job, options) => {
      result = controlCommand(
        { type: 'SKIP_JOB', jobId: job, ...(options.reason ? { reason: options.reason } : {}) },
        options.stateDir,
      );
    });
  cli
    .command('cancel')
    .description('cancel a running plan')
    .addOption(stateDirOption())
    .option(
      '--reason <text>',
      `recorded with the cancel (at most ${MAX_REASON_CHARS} characters)`,
      reasonText,
    )
    .action((options) => {
      result = controlCommand(
        { type: 'CANCEL', ...(options.reason ? { reason: options.reason } : {}) },
        options.stateDir,
      );
    });
  cli
    .command('pause')
    .description('pause a running plan: running jobs finish, nothing new starts')
    .addOption(stateDirOption())
    .action((options) => {
      result = controlCommand({ type: 'PAUSE' }, options.stateDir);
    });
  cli
    .command('continue')
    .description(
      'let a plan paused by the pause command go on, or write its state again after a failed write (checkpoint persistence)',
    )
    .addOption(stateDirOption())
    .action((options) => {
      result = controlCommand({ type: 'RESUME' }, options.stateDir);
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
    if (error instanceof InspectorError) {
      process.stderr.write(`error ${error.code} ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof StateLockedError || error instanceof UnsafeStateFileError) {
      process.stderr.write(`error ${error.code} ${error.message}\n`);
      return EXIT.stateInUse;
    }
    if (error instanceof RestoreError) {
      process.stderr.write(`error ${error.code} ${error.message}\n`);
      return EXIT.unreadableState;
    }
    if (error instanceof PlanFinishedError) {
      process.stderr.write(`${error.message}\n`);
      // Only a plan that completed counts as a success, however often it is resumed.
      return error.outcome === 'completed' ? EXIT.completed : EXIT.failed;
    }
    if (error instanceof PersistenceError) {
      // The plan's last records could not be written after it ended: it did not end durably.
      process.stderr.write(
        `error ${error.code} ${error.message}; nothing recorded before is lost: once the cause is fixed, plan-orchestrator resume <state-dir> records how the plan ended\n`,
      );
      return EXIT.failed;
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
