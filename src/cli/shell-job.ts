import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { JobRun } from '../plan/types.js';
import type { Redact } from '../runtime/redact.js';

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

/** A shell job as data: what a worker on another machine needs to run it. */
export interface ShellWork {
  run: ShellRun;
  /** Absolute. */
  cwd: string;
  killGraceMs: number;
}

/** The command behind each shell job's `run`, for sending it to a worker as data. */
const shellWorks = new WeakMap<JobRun, ShellWork>();

export function shellWorkOf(run: JobRun): ShellWork | undefined {
  return shellWorks.get(run);
}

/** Time between SIGTERM and SIGKILL when a job is stopped. */
export const KILL_GRACE_MS = 3000;

/** Process groups of the shell jobs running now, so an interrupted command can stop them all. */
const runningGroups = new Map<number, Promise<void>>();

/** How long to wait, after SIGKILL, for a group's output pipes to close before giving up on it. */
const AFTER_KILL_MS = 1000;

/**
 * SIGTERM to every running job's process group, SIGKILL to those still there after the grace;
 * resolves when every group has ended. A job that was already being stopped gets the full grace
 * again from now, so nothing of it outlives the caller, which exits after this.
 */
export async function terminateAll(graceMs = KILL_GRACE_MS): Promise<void> {
  const groups = [...runningGroups];
  if (groups.length === 0) return;
  for (const [pid] of groups) signalGroup(pid, 'SIGTERM');
  let giveUp: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    giveUp = setTimeout(() => {
      for (const [pid] of groups) signalGroup(pid, 'SIGKILL');
      // A process that left the group (setsid) may hold the pipes open: do not wait for it forever.
      giveUp = setTimeout(resolve, AFTER_KILL_MS);
    }, graceMs);
  });
  await Promise.race([Promise.all(groups.map(([, exited]) => exited)), killed]);
  clearTimeout(giveUp);
}

/**
 * SIGKILL to every running job's process group at once (the way out on a second signal); resolves
 * when they are gone, so that none is left behind, even for a moment, once the caller exits.
 */
export async function killAllNow(): Promise<void> {
  const groups = [...runningGroups];
  for (const [pid] of groups) signalGroup(pid, 'SIGKILL');
  let giveUp: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(groups.map(([, exited]) => exited)),
    new Promise((resolve) => {
      giveUp = setTimeout(resolve, AFTER_KILL_MS);
    }),
  ]);
  clearTimeout(giveUp);
}

/**
 * Runs a shell job as a child process in a process group of its own, so that stopping the job
 * (timeout, skip, cancel) reaches everything it started: SIGTERM to the group, then SIGKILL
 * after a grace period. Each output line becomes a progress report.
 *
 * `redact` is applied to every output line and error message before it leaves the job, so that a
 * secret never reaches a record, the journal, a reporter or the inspector.
 */
export function shellJob(
  run: ShellRun,
  cwd: string,
  killGraceMs = KILL_GRACE_MS,
  redact: Redact = (text) => text,
  /** A stopped job settles once its process group is gone, not as soon as it is signalled. */
  settleOnExit = false,
): JobRun {
  const job: JobRun = ({ signal, report }) =>
    new Promise((resolve, reject) => {
      // Redacted before it is shortened, so that no part of a secret is left.
      const full = redact(run.shell ? run.command : [run.command, ...(run.args ?? [])].join(' '));
      const label = full.length > 60 ? `${full.slice(0, 57)}...` : full;
      const child = spawn(run.command, run.shell ? [] : (run.args ?? []), {
        cwd,
        env: { ...process.env, ...run.env },
        shell: run.shell === true,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const pid = child.pid;
      if (pid !== undefined) {
        runningGroups.set(pid, new Promise((done) => child.once('close', () => done())));
        child.once('close', () => runningGroups.delete(pid));
      }
      let killTimer: NodeJS.Timeout | undefined;
      const stop = () => {
        signalGroup(child.pid, 'SIGTERM');
        killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), killGraceMs);
        killTimer.unref();
        if (!settleOnExit) reject(signal.reason);
      };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });

      for (const stream of ['stdout', 'stderr'] as const) {
        createInterface({ input: child[stream] }).on('line', (line) =>
          report({ stream, line: redact(line) }),
        );
      }
      child.on('error', (error: NodeJS.ErrnoException) => {
        signal.removeEventListener('abort', stop);
        reject(
          error.code === 'ENOENT'
            ? new Error(redact(`Command not found: "${run.command}" (check its name and PATH)`))
            : // A new error: the original's stack, path and spawnargs could hold a secret.
              Object.assign(new Error(redact(error.message)), {
                code: error.code,
                errno: error.errno,
                syscall: error.syscall,
              }),
        );
      });
      child.on('close', (code, killedBy) => {
        clearTimeout(killTimer);
        signal.removeEventListener('abort', stop);
        if (settleOnExit && signal.aborted) reject(signal.reason);
        else if (code === 0) resolve({ exitCode: 0 });
        else if (killedBy) reject(new Error(`"${label}" was killed by ${killedBy}`));
        else reject(new Error(`"${label}" exited with code ${code}`));
      });
    });
  shellWorks.set(job, { run, cwd, killGraceMs });
  return job;
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * A job's `verify` as a command: exit code 0 accepts the result; anything else rejects it, with
 * the command's last lines of output as the violations.
 */
export function shellVerify(run: ShellRun, cwd: string, redact?: Redact): () => Promise<string[]> {
  const job = shellJob(run, cwd, KILL_GRACE_MS, redact);
  return async () => {
    const lines: string[] = [];
    try {
      await job({
        jobId: 'verify',
        attempt: 1,
        attemptId: 'verify#1',
        input: undefined,
        signal: new AbortController().signal,
        report: (progress) => lines.push((progress as OutputLine).line),
      });
      return [];
    } catch (error) {
      return [error instanceof Error ? error.message : String(error), ...lines.slice(-5)];
    }
  };
}
