#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { planKeys } from '../persistence/redis-keys.js';
import { rangeProblem } from '../plan/range.js';
import {
  InspectorError,
  LeaseLostError,
  PersistenceError,
  PlanFinishedError,
  PlanNotRunningError,
  RedisStoreError,
  RemoteAttemptError,
  RestoreError,
  StateLockedError,
  UnsafeStateFileError,
} from '../shared/errors.js';
import { controlCommand, sendControl } from './control.js';
import { DEFAULT_LOG_MAX_BYTES, MAX_LOG_MAX_BYTES, MIN_LOG_MAX_BYTES } from './job-logs.js';
import { showLogs } from './logs-command.js';
import { EXIT } from './output.js';
import { selects } from './plan-subset.js';
import { exitNow, rememberTerminals } from './process-exit.js';
import { graph, status, validate } from './read-commands.js';
import { RedisDatabaseError } from './redis-connect.js';
import { sendRedisControl } from './redis-control.js';
import { type PlanPlace, planPlaceOf, UsageError } from './redis-options.js';
import { listPlans, redisStatus } from './redis-read.js';
import { resumeRedis, runRedis } from './redis-run.js';
import { PlanNotFoundError } from './redis-source.js';
import { parseRedisUrl } from './redis-url.js';
import { resume, run } from './run-plan.js';
import { STATUS_LIST_LIMIT } from './status-report.js';
import { watchClosedOutput } from './stop-signals.js';
import { runWorker } from './worker.js';

const integer = (name: string, min: number, max: number) => (value: string) => {
  // Digits only: Number() would also take "0x10", "1e3" and " 2".
  const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  const problem = rangeProblem(name, n, { integer: true, min, max }, { show: () => `"${value}"` });
  if (problem) throw new InvalidArgumentError(problem);
  return n;
};

/** A folder's path: an empty one (`--state-dir "$UNSET"`) would silently mean none. */
const folderPath = (name: string) => (value: string) => {
  if (value === '') {
    throw new InvalidArgumentError(
      `${name} is empty: give a folder's path (is the variable it came from unset?)`,
    );
  }
  return value;
};

/** `--only a b`, `--only a,b` and `--only a --only b` alike. */
const commaList = (value: string, previous: string[] = []) => [
  ...previous,
  ...value.split(',').filter((id) => id !== ''),
];

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

const redisFlag = '--redis <url>';
const planFlag = '--plan <planId>';
const leaseFlag = '--lease-ms <ms>';
/** Bounds of `--lease-ms`: seconds, so that a dead coordinator's plan is taken over soon. */
const MIN_LEASE_MS = 1_000;
const MAX_LEASE_MS = 60_000;
const leaseHelp = `how long a coordinator's lease on the plan lasts without renewal, in ms (${MIN_LEASE_MS}-${MAX_LEASE_MS}; default 5000)`;
const leaseMs = integer('--lease-ms', MIN_LEASE_MS, MAX_LEASE_MS);

/** A lease is what a coordinator holds on a plan kept in Redis; a state folder has a lock. */
function leaseNeedsRedis(command: string, options: { leaseMs?: number }) {
  if (options.leaseMs !== undefined) {
    throw new UsageError(`${command}: --lease-ms goes with --redis (a state folder has no lease)`);
  }
}

type ControlCommand = Parameters<typeof controlCommand>[0];
interface PlanOptions {
  stateDir?: string;
  redis?: string;
  plan?: string;
}

/** One control command to the plan of a state folder or of Redis, and its exit code. */
function deliverTo(place: PlanPlace, command: ControlCommand): Promise<number> {
  if ('stateDir' in place) {
    return controlCommand(command, (c) => sendControl(place.stateDir, c));
  }
  const { target, planId } = place;
  return controlCommand(command, (c) => sendRedisControl(target, planKeys(planId), planId, c));
}

/** The version of the installed package (its own package.json, found by the package's name). */
function packageVersion(): string {
  return (createRequire(import.meta.url)('plan-orchestrator/package.json') as { version: string })
    .version;
}

export function program(): Command {
  const cli = new Command('plan-orchestrator')
    .description('Run plans of dependent shell jobs from YAML or JSON files.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
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
        'serve the live inspector page on 127.0.0.1 and print its address (port 0-65535; 0 or none: any free port)',
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
      "jobs running at once, 1-1000000 (overrides the file's maxParallel; default there 4)",
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
      folderPath('--state-dir'),
    )
    .option(redisFlag, 'keep the plan in Redis, to resume it from any machine')
    .option(leaseFlag, leaseHelp, leaseMs)
    .option(
      '--queue <name>',
      'send every job to this BullMQ queue, run by `plan-orchestrator worker` on any machine (needs --redis)',
    )
    .addOption(reporter)
    .option('--allow-outside-cwd', "let jobs run in folders outside the plan file's folder")
    .option(
      '--log-max-bytes <n>',
      `output kept per attempt of a job in the state folder, in bytes (${MIN_LOG_MAX_BYTES}-${MAX_LOG_MAX_BYTES}; default ${DEFAULT_LOG_MAX_BYTES})`,
      integer('--log-max-bytes', MIN_LOG_MAX_BYTES, MAX_LOG_MAX_BYTES),
    )
    .option(
      '--dry-run',
      'check the plan, print the order jobs would start in and their commands, run nothing',
    )
    .option(
      '--only <job...>',
      'run only these jobs (space- or comma-separated) and the jobs they depend on',
      commaList,
    )
    .option(
      '--from <job>',
      'run this job and every job after it; the jobs it depends on count as done',
    )
    .action((file, options) => {
      result = (async () => {
        // A rehearsal reads the plan file only: no state folder, no Redis.
        if (options.dryRun) return run(file, options);
        if (options.logMaxBytes !== undefined && options.stateDir === undefined) {
          throw new UsageError('run: --log-max-bytes goes with --state-dir (logs are kept there)');
        }
        if (options.redis === undefined) {
          if (options.queue !== undefined) {
            throw new UsageError('run: --queue goes with --redis (the queue lives in Redis)');
          }
          leaseNeedsRedis('run', options);
          return run(file, options);
        }
        if (options.stateDir !== undefined) {
          throw new UsageError(
            'run: give --state-dir or --redis, not both (a plan is kept in one place)',
          );
        }
        if (selects(options)) {
          throw new UsageError(
            'run: --only and --from go with --state-dir or no store, not with --redis',
          );
        }
        return runRedis(file, parseRedisUrl(options.redis), options);
      })();
    });
  inspectOptions(cli.commands.at(-1)!);
  cli
    .command('resume [state-dir]')
    .description('resume a plan run with --state-dir, or one kept in Redis (--redis URL --plan ID)')
    .option(redisFlag, 'the Redis that keeps the plan')
    .option(planFlag, 'the id of the plan kept in Redis')
    .option(leaseFlag, leaseHelp, leaseMs)
    .addOption(reporter)
    .action((stateDir, options) => {
      result = (async () => {
        const place = planPlaceOf('resume', { ...options, stateDir });
        if ('stateDir' in place) leaseNeedsRedis('resume', options);
        return 'stateDir' in place
          ? resume(place.stateDir, options)
          : resumeRedis(place.target, place.planId, options);
      })();
    });
  inspectOptions(cli.commands.at(-1)!);
  cli
    .command('status [state-dir]')
    .description(
      'show the state of a plan run with --state-dir, or kept in Redis (--redis URL --plan ID)',
    )
    .option(redisFlag, 'the Redis that keeps the plan')
    .option(planFlag, 'the id of the plan kept in Redis')
    .option(
      '--jobs',
      `list every job (a plan of more than ${STATUS_LIST_LIMIT} jobs gets a summary)`,
    )
    .option('--json', "print the plan's state as one JSON object, every job included")
    .action((stateDir, options) => {
      result = (async () => {
        const place = planPlaceOf('status', { ...options, stateDir });
        const shown = { jobs: options.jobs === true, json: options.json === true };
        return 'stateDir' in place
          ? status(place.stateDir, shown)
          : redisStatus(place.target, place.planId, shown);
      })();
    });
  cli
    .command('logs <job>')
    .description("print the output of a job's attempt kept in the state folder of a run")
    .requiredOption('--state-dir <dir>', 'the state folder of the run', folderPath('--state-dir'))
    .option(
      '--attempt <n>',
      'which attempt (default: the latest)',
      integer('--attempt', 1, 1_000_000),
    )
    .option('--follow', 'go on printing lines as they come, until the attempt ends')
    .action((job, options) => {
      result = showLogs(job, options);
    });
  cli
    .command('plans')
    .description('list the plans kept in Redis, with their status and coordinator')
    .requiredOption(redisFlag, 'the Redis that keeps the plans')
    .action((options) => {
      result = (async () => listPlans(parseRedisUrl(options.redis)))();
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
  /** `--state-dir dir`, or `--redis URL --plan ID`: where the running plan is reached. */
  const placeOptions = (command: Command) =>
    command
      .option(
        '--state-dir <dir>',
        'the state folder of the running plan',
        folderPath('--state-dir'),
      )
      .option(redisFlag, 'the Redis that keeps the running plan')
      .option(planFlag, 'the id of the plan kept in Redis');
  /** Sends `command` to the plan the options name. */
  const control = (name: string, command: ControlCommand, options: PlanOptions) =>
    (async () => deliverTo(planPlaceOf(name, options), command))();
  placeOptions(cli.command('approve'))
    .description('approve the checkpoint a running plan waits at')
    .addOption(
      new Option('--checkpoint <name>', 'the checkpoint meant').choices([
        'start',
        'on_error',
        'pre_run',
        'pre_integrate',
        'pre_finalize',
        'pre_change',
      ]),
    )
    .option('--job <id>', 'the job meant')
    .action((options) => {
      result = control(
        'approve',
        {
          type: 'APPROVE',
          ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
          ...(options.job ? { jobId: options.job } : {}),
        },
        options,
      );
    });
  placeOptions(cli.command('retry <job>'))
    .description('run a failed job of a running plan again')
    .addOption(
      new Option('--from <step>', 'where to start again')
        .choices(['run', 'verify', 'integrate'])
        .default('run'),
    )
    .action((job, options) => {
      result = control('retry', { type: 'RETRY_JOB', jobId: job, from: options.from }, options);
    });
  placeOptions(cli.command('skip <job>'))
    .description('skip a job of a running plan')
    .option(
      '--reason <text>',
      `recorded with the skip (at most ${MAX_REASON_CHARS} characters)`,
      reasonText,
    )
    .action((job, options) => {
      result = control(
        'skip',
        { type: 'SKIP_JOB', jobId: job, ...(options.reason ? { reason: options.reason } : {}) },
        options,
      );
    });
  placeOptions(cli.command('cancel'))
    .description('cancel a running plan')
    .option(
      '--reason <text>',
      `recorded with the cancel (at most ${MAX_REASON_CHARS} characters)`,
      reasonText,
    )
    .action((options) => {
      result = control(
        'cancel',
        { type: 'CANCEL', ...(options.reason ? { reason: options.reason } : {}) },
        options,
      );
    });
  placeOptions(cli.command('pause'))
    .description('pause a running plan: running jobs finish, nothing new starts')
    .action((options) => {
      result = control('pause', { type: 'PAUSE' }, options);
    });
  placeOptions(cli.command('continue'))
    .description(
      'let a plan paused by the pause command go on, or write its state again after a failed write (checkpoint persistence)',
    )
    .action((options) => {
      result = control('continue', { type: 'RESUME' }, options);
    });
  cli
    .command('worker')
    .description('run the jobs that plans send to a queue (run --redis URL --queue NAME)')
    .requiredOption(redisFlag, 'the Redis that holds the queue')
    .requiredOption('--queue <name>', 'the queue to take jobs from')
    .option(
      '--concurrency <n>',
      'jobs run at once (1-10000; default 1)',
      integer('--concurrency', 1, 10_000),
    )
    .option('--name <name>', 'how this worker is named in errors and its output (default host:pid)')
    .option(
      '--grace-ms <ms>',
      'on SIGINT/SIGTERM, how long running jobs may finish before they go back to the queue (0-3600000; default 10000)',
      integer('--grace-ms', 0, 3_600_000),
    )
    .option(
      '--lock-ms <ms>',
      "how long a running job's lock lasts without renewal: a dead worker is noticed after about this long (1000-600000; default 30000)",
      integer('--lock-ms', 1_000, 600_000),
    )
    .option(
      '--stalled-check-ms <ms>',
      'how often to look for jobs whose worker died (1000-600000; default 30000)',
      integer('--stalled-check-ms', 1_000, 600_000),
    )
    .option(
      '--max-stalled <n>',
      'how often a job may lose its worker and run elsewhere before it fails with WORKER_LOST (0-100; default 1)',
      integer('--max-stalled', 0, 100),
    )
    .action((options) => {
      result = (async () => runWorker(parseRedisUrl(options.redis), options))();
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
    if (error instanceof UsageError) {
      process.stderr.write(`error ${error.code} ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof RedisStoreError) {
      // A malformed URL is usage; an unreachable Redis, a refused password, a key holding
      // something else: the plan's state cannot be read.
      process.stderr.write(`error ${error.code} ${error.message}\n`);
      return error.code === 'REDIS_URL' ? EXIT.usage : EXIT.unreadableState;
    }
    if (error instanceof RedisDatabaseError || error instanceof PlanNotFoundError) {
      process.stderr.write(`error ${error.code} ${error.message}\n`);
      return EXIT.unreadableState;
    }
    if (error instanceof LeaseLostError) {
      // Another coordinator runs the plan now; this one stopped its jobs and wrote nothing more.
      process.stderr.write(
        `error ${error.code} ${error.message}; this coordinator stopped its running jobs and exits\n`,
      );
      return EXIT.stateInUse;
    }
    if (error instanceof InspectorError || error instanceof RemoteAttemptError) {
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
        `error ${error.code} ${error.message}; nothing recorded before is lost: once the cause is fixed, plan-orchestrator resume <state-dir> (or resume --redis URL --plan <id>) records how the plan ended\n`,
      );
      return EXIT.failed;
    }
    if (error instanceof PlanNotRunningError) {
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
  rememberTerminals();
  watchClosedOutput();
  // After the turn's last write has failed or not: a closed stdout makes the exit 141.
  main(process.argv.slice(2)).then((code) => setImmediate(() => exitNow(code)));
}
