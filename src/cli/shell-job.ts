import { statSync } from 'node:fs';
import { attemptIdOf } from '../../machines/retry.js';
import type { JobRun, JobRunContext } from '../plan/types.js';
import type { Redact } from '../runtime/redact.js';
import { settledWithin } from '../shared/settled-within.js';
import { type LaunchFailure, launch, runningLaunches } from './job-launcher.js';
import type { AttemptLog, AttemptLogs } from './job-logs.js';
import { createOutputFile, type Outputs } from './job-outputs.js';

/** A job of a plan file: a command and its arguments, run without a shell unless asked. */
export interface ShellRun {
  command: string;
  /** Passed to the command as they are: never joined into a shell string. */
  args?: string[];
  /** Relative to the plan file's folder. */
  cwd?: string;
  env?: Record<string, string>;
  /** Run `command` through `/bin/sh -c`; then `args` is refused. Default false. */
  shell?: boolean;
}

/** One line a job's process printed, as its progress. */
export interface OutputLine {
  stream: 'stdout' | 'stderr';
  line: string;
}

/** A shell job as data: what a worker on another machine needs to run one attempt of it. */
export interface ShellWork {
  run: ShellRun;
  /** Absolute. */
  cwd: string;
  killGraceMs: number;
}

/** A shell job's command as it runs for an attempt, and how its output is redacted. */
export interface ShellJobWork {
  workOf: (ctx: JobRunContext) => ShellWork;
  redact: Redact;
}

/** The command behind each shell job's `run`, to send to a worker. */
const shellWorks = new WeakMap<JobRun, ShellJobWork>();

/** What a shell job made by `shellJob` runs, as data; undefined for any other `run`. */
export function shellWorkOf(run: JobRun): ShellJobWork | undefined {
  return shellWorks.get(run);
}

/** Why `path` is not a folder a process can start in, or null when it is one. */
export function folderProblem(path: string): string | null {
  try {
    return statSync(path).isDirectory() ? null : 'is not a folder';
  } catch (error) {
    return (error as { code?: string }).code === 'ENOENT'
      ? 'does not exist'
      : `cannot be read (${(error as Error).message})`;
  }
}

/** Time between SIGTERM and SIGKILL when a job is stopped. */
export const KILL_GRACE_MS = 3000;

/** How long to wait, after SIGKILL, for a group's output pipes to close before giving up on it. */
const AFTER_KILL_MS = 1000;

/**
 * SIGTERM to every running job's process group, SIGKILL to those still there after the grace;
 * resolves when every group has ended. A job that was already being stopped gets the full grace
 * again from now, so nothing of it outlives the caller, which exits after this.
 */
export async function terminateAll(graceMs = KILL_GRACE_MS): Promise<void> {
  const groups = runningLaunches();
  if (groups.length === 0) return;
  for (const group of groups) group.signal('SIGTERM');
  let giveUp: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    giveUp = setTimeout(() => {
      for (const group of groups) group.signal('SIGKILL');
      // A process that left the group (setsid) may hold the pipes open: do not wait for it forever.
      giveUp = setTimeout(resolve, AFTER_KILL_MS);
    }, graceMs);
  });
  await Promise.race([Promise.all(groups.map((group) => group.closed())), killed]);
  clearTimeout(giveUp);
}

/**
 * SIGKILL to every running job's process group at once (the way out on a second signal); resolves
 * when they are gone, so that none is left behind, even for a moment, once the caller exits.
 */
export async function killAllNow(): Promise<void> {
  const groups = runningLaunches();
  for (const group of groups) group.signal('SIGKILL');
  await settledWithin(
    groups.map((group) => group.closed()),
    AFTER_KILL_MS,
  );
}

/** Why a job's process could not be started, said for the person who wrote the command. */
function launchFailure(error: LaunchFailure, command: string, cwd: string, redact: Redact): Error {
  // spawn says ENOENT for a missing folder to start in as for a missing command.
  const missingFolder = error.code === 'ENOENT' ? folderProblem(cwd) : null;
  if (missingFolder) return new Error(redact(`Folder not found: cwd ${cwd} ${missingFolder}`));
  if (error.code === 'ENOENT') {
    // A command line written without `shell: true` is looked for as one file name.
    const hint = /\s/.test(command)
      ? '; a command line with spaces needs shell: true, or the command alone and its args'
      : '';
    return new Error(redact(`Command not found: "${command}" (check its name and PATH${hint})`));
  }
  if (error.code === 'EACCES') {
    return new Error(
      redact(`Command cannot be run: "${command}" is not a file this user may execute (EACCES)`),
    );
  }
  // A new error: the original's stack, path and spawnargs could hold a secret.
  return Object.assign(new Error(redact(error.message)), {
    code: error.code,
    errno: error.errno,
    syscall: error.syscall,
  });
}

/** The command a job runs this time, once its `${{ … }}` expressions are replaced. */
export type CommandBinder = (ctx: JobRunContext) => { run: ShellRun; cwd: string };

/**
 * Runs a shell job as a process in a process group of its own (started by the job launcher, see
 * `job-launcher.ts`), so that stopping the job
 * (timeout, skip, cancel) reaches everything it started: SIGTERM to the group, then SIGKILL
 * after a grace period. Each output line becomes a progress report. The job's output is
 * `{ exitCode: 0 }`, with `outputs` when the command wrote any to `$PLAN_OUTPUT`.
 *
 * `redact` is applied to every output line, output value and error message before it leaves the
 * job, so that a secret never reaches a record, the journal, a reporter or the inspector.
 */
export function shellJob(run: ShellRun, cwd: string, options: ShellJobOptions = {}): JobRun {
  const { bind, logs, ...command } = options;
  const bound = (ctx: JobRunContext) => (bind ? bind(ctx) : { run, cwd });
  const job: JobRun = async (ctx) => {
    const { run, cwd } = bound(ctx);
    const log = logs?.(ctx.jobId, ctx.attempt);
    const outputs = await runCommand(run, cwd, ctx, { ...command, log });
    return Object.keys(outputs).length > 0 ? { exitCode: 0, outputs } : { exitCode: 0 };
  };
  const killGraceMs = options.killGraceMs ?? KILL_GRACE_MS;
  shellWorks.set(job, {
    workOf: (ctx) => ({ ...bound(ctx), killGraceMs }),
    redact: options.redact ?? ((text) => text),
  });
  return job;
}

/** How `shellJob` and `runCommand` run a command. */
export interface RunCommandOptions {
  /**
   * Time between SIGTERM and SIGKILL when the command is stopped, in milliseconds.
   *
   * @default KILL_GRACE_MS
   */
  killGraceMs?: number;
  /** Applied to every output line, output value and error message. Default: none. */
  redact?: Redact;
  /** Where the attempt's output lines are kept. Default: nowhere. */
  log?: AttemptLog;
  /**
   * A stopped command settles once its process group is gone, not as soon as it is signalled
   * (a worker takes its next attempt only then).
   *
   * @default false
   */
  settleOnExit?: boolean;
}

/** How `shellJob` runs its command. */
export interface ShellJobOptions extends Omit<RunCommandOptions, 'log'> {
  /** The command this attempt runs, once its expressions are replaced. Default: as written. */
  bind?: CommandBinder;
  /** Where each attempt keeps its output lines. Default: nowhere. */
  logs?: AttemptLogs;
}

/**
 * Runs one command to its end (see `shellJob`); resolves with what it wrote to `$PLAN_OUTPUT`
 * when it exits 0, rejects with why otherwise.
 */
export async function runCommand(
  run: ShellRun,
  cwd: string,
  { signal, report }: Pick<JobRunContext, 'signal' | 'report'>,
  options: RunCommandOptions = {},
): Promise<Outputs> {
  const {
    killGraceMs = KILL_GRACE_MS,
    redact = (text: string) => text,
    log,
    settleOnExit = false,
  } = options;
  const outputFile = createOutputFile();
  const exited = new Promise<void>((resolve, reject) => {
    // Redacted before it is shortened, so that no part of a secret is left.
    const label = () => {
      const full = redact(run.shell ? run.command : [run.command, ...(run.args ?? [])].join(' '));
      return full.length > 60 ? `${full.slice(0, 57)}...` : full;
    };
    let killTimer: NodeJS.Timeout | undefined;
    const launched = launch(
      {
        command: run.command,
        args: run.shell ? [] : (run.args ?? []),
        cwd,
        env: run.env
          ? { ...run.env, PLAN_OUTPUT: outputFile.path }
          : { PLAN_OUTPUT: outputFile.path },
        shell: run.shell === true,
        killGraceMs,
      },
      {
        line(stream, line) {
          const text = redact(line);
          log?.line(text);
          report({ stream, line: text });
        },
        failed(error) {
          signal.removeEventListener('abort', stop);
          reject(launchFailure(error, run.command, cwd, redact));
        },
        closed(code, killedBy) {
          clearTimeout(killTimer);
          signal.removeEventListener('abort', stop);
          if (settleOnExit && signal.aborted) reject(signal.reason);
          else if (code === 0) resolve();
          else if (killedBy) reject(new Error(`"${label()}" was killed by ${killedBy}`));
          else reject(new Error(`"${label()}" exited with code ${code}`));
        },
      },
    );
    function stop() {
      launched.signal('SIGTERM');
      killTimer = setTimeout(() => launched.signal('SIGKILL'), killGraceMs);
      killTimer.unref();
      if (!settleOnExit) reject(signal.reason);
    }
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
  try {
    await exited;
  } catch (error) {
    await outputFile.discard();
    throw error;
  } finally {
    // The log is whole before the attempt's outcome is known, so `logs` never shows less.
    await log?.end();
  }
  const outputs = await outputFile.read();
  for (const key of Object.keys(outputs)) outputs[key] = redact(outputs[key]!);
  return outputs;
}

/**
 * A job's `verify` as a command: exit code 0 accepts the result; anything else rejects it, with
 * the command's last lines of output as the violations.
 */
export function shellVerify(
  run: ShellRun,
  cwd: string,
  redact?: Redact,
  bind?: CommandBinder,
): (output: unknown, ctx: { jobId: string; attempt: number }) => Promise<string[]> {
  const job = shellJob(run, cwd, { redact, bind });
  return async (_output, { jobId, attempt }) => {
    const lines: string[] = [];
    try {
      await job({
        jobId,
        attempt,
        attemptId: attemptIdOf(jobId, attempt),
        input: undefined,
        needs: {},
        signal: new AbortController().signal,
        report: (progress) => lines.push((progress as OutputLine).line),
      });
      return [];
    } catch (error) {
      return [error instanceof Error ? error.message : String(error), ...lines.slice(-5)];
    }
  };
}
